// Control routes under /_sandbox/ (no auth, JSON) through which tests, the demo and benchmarks
// inspect and steer the sandbox: stored events (and deleting one), request statistics, faults, reset.
#pragma once

#include <string_view>

#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"
#include "sandbox/pinned/api.h"
#include "sandbox/pinned/faults.h"

namespace pinsync_sandbox {

class ControlApi final : public Service {
 public:
  // All three must outlive this object.
  ControlApi(PinnedApi& pinned, Faults& faults, RequestStats& stats)
      : m_pinned(pinned), m_faults(faults), m_stats(stats) {}

  std::string_view prefix() const override { return "/_sandbox"; }
  // GET events, DELETE events/{id}, GET stats, GET|POST faults, POST reset; 404/405/400 with
  // the error envelope.
  Response handle(const Request& request) override;

 private:
  Response set_faults(const Request& request);
  // DELETE /_sandbox/events/{id}: someone deleted the event in the Pinned Events app.
  Response delete_event(const Request& request, std::string_view id_text);

  PinnedApi& m_pinned;
  Faults& m_faults;
  RequestStats& m_stats;
};

}  // namespace pinsync_sandbox
