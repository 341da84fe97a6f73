// The CLI's side of the admin endpoint: POSTing a JSON request to the running agent on
// 127.0.0.1 (resync, pause, resume).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"

namespace pinsync::agent {

struct AgentAnswer {
  int status = 0;
  std::string body;
};

// POSTs `body` (JSON) to http://127.0.0.1:`port``path`. Returns nullopt when nothing listens
// there (connection refused), the answer otherwise, or Error{transient} when the exchange
// broke halfway or took longer than `timeout`.
Result<std::optional<AgentAnswer>> ask_agent(std::uint16_t port, const std::string& path, const std::string& body,
                                             std::chrono::seconds timeout);

// The message of an error answer ({"error":"…"}), or the body as it is.
std::string agent_error_text(const AgentAnswer& answer);

}  // namespace pinsync::agent
