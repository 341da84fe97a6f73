// What the connector fuzz targets share: a context wired to a FuzzTransport and a fake
// clock, and the invariants of any fetch() result.
#pragma once

#include <memory>
#include <sstream>
#include <string>

#include "connectors/connector.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_transport.h"
#include "tests/support/connector_world.h"

namespace pinsync::fuzz {

// The connector world of the tests (tests/support/connector_world.h) on a FuzzTransport.
struct ConnectorWorld {
  explicit ConnectorWorld(std::vector<http::Response> answers)
      : transport(std::make_shared<FuzzTransport>(std::move(answers))) {
    world.make_transport = [target = transport]() -> std::unique_ptr<http::Transport> {
      struct Forward final : http::Transport {
        std::shared_ptr<FuzzTransport> to;
        std::expected<http::Response, http::TransportError> send(const http::Request& r) override {
          return to->send(r);
        }
      };
      auto f = std::make_unique<Forward>();
      f->to = target;
      return f;
    };
  }

  connectors::ConnectorContext context() { return world.context("fuzz"); }

  std::shared_ptr<FuzzTransport> transport;
  testing::ConnectorWorld world;
  std::ostringstream& log_text = world.log_text;
};

// A fetch either gives a rectangular table with a findable reference per row, or an Error
// with a message, led by `lead` when one is given, that never shows `secret`.
inline void check_fetch(const Result<connectors::Table>& table, const std::string& lead, const std::string& secret,
                        const std::string& log_text) {
  PINSYNC_FUZZ_CHECK(log_text.find(secret) == std::string::npos);
  if (!table) {
    const std::string& m = table.error().message;
    PINSYNC_FUZZ_CHECK(m.size() > lead.size());
    PINSYNC_FUZZ_CHECK(m.starts_with(lead));
    PINSYNC_FUZZ_CHECK(m.find(secret) == std::string::npos);
    return;
  }
  for (const auto& row : table->rows) {
    PINSYNC_FUZZ_CHECK(row.cells.size() == table->columns.size());
    PINSYNC_FUZZ_CHECK(!row.row_ref.empty());
  }
}

}  // namespace pinsync::fuzz
