// Control routes of the emulated Airtable API under /_sandbox/airtable (no auth, JSON, not
// counted in the stats): set and read table contents, views, rate-limit and offset settings,
// the Airtable clock, and reset. Tests and the demo steer Airtable through these.
#pragma once

#include <string_view>

#include "sandbox/airtable/api.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class AirtableControl final : public Service {
 public:
  // `api` must outlive this object.
  explicit AirtableControl(AirtableApi& api) : m_api(api) {}

  std::string_view prefix() const override { return "/_sandbox/airtable"; }
  // PUT|GET|PATCH (select options) /{baseId}/{table}, GET|POST /settings, POST /reset; 400/404/405 with
  // {"error":{"code","message"}} otherwise.
  Response handle(const Request& request) override;

 private:
  AirtableApi& m_api;
};

}  // namespace pinsync_sandbox
