// Fuzz target: the Airtable connector reading list-records pages (and error envelopes)
// that hold anything at all. A fake clock (the 429 wait passes at once), no network.
// Invariants: see check_fetch (connector_fuzz.h): a rectangular table with row references,
// or an error led by the base and table that never shows the token.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>

#include "connectors/airtable.h"
#include "fuzz/connector_fuzz.h"

namespace {

constexpr const char* k_token = "patFUZZtok3n.0123456789abcdef";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool arrays_first = in.ConsumeBool();
  const long status = pinsync::fuzz::pick_status(in.ConsumeIntegral<std::uint8_t>());
  const std::string type = pinsync::fuzz::pick_content_type(in.ConsumeIntegral<std::uint8_t>());
  const auto fuzzed = pinsync::fuzz::answer(status, type, in.ConsumeRemainingBytesAsString());

  // Page one and, when it names an offset, page two get the fuzzed answer.
  pinsync::fuzz::ConnectorWorld world({fuzzed, fuzzed});
  pinsync::connectors::AirtableSettings settings;
  settings.base_url = "http://127.0.0.1:9";
  settings.base_id = "appA1b2C3d4E5f6G7";
  settings.table = "Submissions";
  settings.token = k_token;
  settings.fields = {"Name", "When", "Approved", "Tags"};
  settings.arrays = arrays_first ? pinsync::connectors::ArrayJoin::first : pinsync::connectors::ArrayJoin::join;
  pinsync::connectors::AirtableConnector connector(settings, world.context());
  const auto table = connector.fetch();
  pinsync::fuzz::check_fetch(table, "airtable appA1b2C3d4E5f6G7/Submissions", k_token, world.log_text.str());
  if (table) {
    for (const auto& row : table->rows) PINSYNC_FUZZ_CHECK(!row.native_id.empty());
  }
  return 0;
}
