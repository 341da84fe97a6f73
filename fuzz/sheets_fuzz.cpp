// Fuzz target: the Google Sheets connector reading Google's answers (spreadsheets.get
// metadata and values:batchGet) when they hold anything at all. API-key auth, a fake clock,
// no network.
// Invariants: see check_fetch (connector_fuzz.h): a rectangular table with row references,
// or an error that never shows the API key.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>

#include "connectors/google_sheets.h"
#include "fuzz/connector_fuzz.h"

namespace {

constexpr const char* k_api_key = "fuzz-google-api-key-0123456789";
constexpr const char* k_metadata =
    R"({"spreadsheetId":"sheet1","properties":{"title":"Partner events","locale":"en_US",)"
    R"("timeZone":"America/New_York"},"sheets":[{"properties":{"sheetId":0,"title":"Events","index":0,)"
    R"("sheetType":"GRID","gridProperties":{"rowCount":1000,"columnCount":26}}}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool fuzz_metadata = in.ConsumeBool();
  const long status = pinsync::fuzz::pick_status(in.ConsumeIntegral<std::uint8_t>());
  const std::string type = pinsync::fuzz::pick_content_type(in.ConsumeIntegral<std::uint8_t>());
  const auto fuzzed = pinsync::fuzz::answer(status, type, in.ConsumeRemainingBytesAsString());
  const auto metadata = pinsync::fuzz::answer(200, "application/json; charset=UTF-8", k_metadata);

  pinsync::fuzz::ConnectorWorld world(fuzz_metadata ? std::vector{fuzzed, fuzzed}
                                                    : std::vector{metadata, fuzzed, fuzzed});
  pinsync::connectors::GoogleSheetsSettings settings;
  settings.sheets_base_url = "http://127.0.0.1:9";
  settings.spreadsheet_id = "sheet1";
  settings.sheet = "Events";
  settings.id_column = "Event ID";
  settings.auth.api_key = k_api_key;
  auto connector = pinsync::connectors::make_google_sheets_connector(settings, world.context());
  const auto table = connector->fetch();
  pinsync::fuzz::check_fetch(table, "", k_api_key, world.log_text.str());
  return 0;
}
