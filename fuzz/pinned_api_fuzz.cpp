// Fuzz target: how PinnedClient reads Pinned Events' answers — create_event, update_event,
// channels, classifications and find_created_events — when the body, status and content type
// are anything at all. One attempt per call (no retries), a fake clock, no network.
// Invariants: never a crash; a write is ok only for a 2xx with a positive event id; every
// other outcome and every Error carries a message; the API key never appears in a message.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "agent/pinned/client.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_transport.h"
#include "tests/support/fake_clock.h"

namespace {

constexpr const char* k_key = "fuzz-api-key-0123456789";
constexpr const char* k_create_body =
    R"({"approxLocation":{"city":{"name":"New York","placeId":"place-new-york"}},"channelId":42,)"
    R"("classifications":["music"],"startAt":"2026-06-12T20:00:00-04:00","status":"draft",)"
    R"("timezone":"America/New_York","title":"Rooftop Jazz Night"})";

void check_write(const pinsync::agent::WriteResult& w, long status) {
  if (w.status == pinsync::agent::WriteStatus::ok) {
    PINSYNC_FUZZ_CHECK(status >= 200 && status < 300);
    PINSYNC_FUZZ_CHECK(w.event_id.has_value() && *w.event_id > 0);
  } else {
    PINSYNC_FUZZ_CHECK(!w.message.empty());
    PINSYNC_FUZZ_CHECK(w.message.find(k_key) == std::string::npos);
  }
}

template <typename T>
void check_result(const pinsync::Result<T>& r, long status) {
  if (r) {
    PINSYNC_FUZZ_CHECK(status >= 200 && status < 300);
    return;
  }
  PINSYNC_FUZZ_CHECK(!r.error().message.empty());
  PINSYNC_FUZZ_CHECK(r.error().message.find(k_key) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto call = in.ConsumeIntegral<std::uint8_t>();
  const long status = pinsync::fuzz::pick_status(in.ConsumeIntegral<std::uint8_t>());
  const std::string type = pinsync::fuzz::pick_content_type(in.ConsumeIntegral<std::uint8_t>());
  const auto fuzzed = pinsync::fuzz::answer(status, type, in.ConsumeRemainingBytesAsString());

  pinsync::agent::PinnedConfig config;
  config.base_url = "http://127.0.0.1:9";
  config.api_key = k_key;
  pinsync::testing::FakeClock clock;
  std::ostringstream log_text;
  pinsync::Logger log(log_text, pinsync::LogLevel::debug, pinsync::LogFormat::text, clock);
  // The same answer for up to three requests (pages), then 404.
  pinsync::fuzz::FuzzTransport transport({fuzzed, fuzzed, fuzzed});
  pinsync::RetryPolicy once;
  once.max_attempts = 1;
  pinsync::agent::PinnedClient client(config, transport, log, clock, once);

  switch (call % 5) {
    case 0: check_write(client.create_event(k_create_body, "pinsync-acme-E-1-create"), status); break;
    case 1: check_write(client.update_event(7, k_create_body, "pinsync-acme-E-1-update-0123"), status); break;
    case 2: check_result(client.channels(), status); break;
    case 3: check_result(client.classifications(), status); break;
    case 4: {
      const std::vector<std::string> bodies{k_create_body, k_create_body};
      const auto found = client.find_created_events(bodies);
      check_result(found, status);
      if (found) PINSYNC_FUZZ_CHECK(found->size() == bodies.size());
      break;
    }
  }
  PINSYNC_FUZZ_CHECK(log_text.str().find(k_key) == std::string::npos);
  return 0;
}
