#include "connectors/connector.h"

#include <utility>

namespace pinsync::connectors {

Result<void> Connector::read(RowSink& sink, bool changes_only) {
  auto table = changes_only ? fetch_changes() : fetch();
  if (!table) return std::unexpected(table.error());
  std::vector<Row> rows = std::move(table->rows);
  table->rows.clear();
  if (auto begun = sink.begin(*table); !begun) return begun;
  for (auto& row : rows) {
    sink.row(std::move(row));
    row = Row{};  // freed as it goes: the sink keeps what it needs
  }
  return {};
}

}  // namespace pinsync::connectors
