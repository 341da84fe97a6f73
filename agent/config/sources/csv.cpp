// kind: csv — a local file or a published CSV link.
#include "agent/config/sources/kind.h"
#include "connectors/csv.h"

namespace pinsync::agent {

// Named, not anonymous: every kind's file has a read, a make and k_keys, and CI's unity
// build compiles them as one unit.
namespace csv_source {

constexpr std::string_view k_keys[] = {"path", "url", "max_bytes", "max_rows"};
// The largest max_bytes: 4 GiB of CSV would need several times that in memory.
constexpr std::int64_t k_max_bytes_limit = 4LL * 1024 * 1024 * 1024;

void read(const ConfigReader& r, const ConfigMap& m, SourceConfig& source) {
  connectors::CsvSettings csv;
  const auto path = m.find("path");
  const auto url = m.find("url");
  if (path && url) {
    r.fail(*url, "path and url are both given",
           "keep exactly one: path for a file on this machine, url for a published CSV link");
  }
  if (!path && !url) {
    r.missing(m, "path",
              "give path: partner.csv (a file, relative to this config file) or url: "
              "https://… (a published CSV link)");
  }
  if (path) csv.path = r.path(*path);
  if (url) csv.url = r.url(*url);
  if (const auto bytes = m.find("max_bytes")) {
    csv.max_bytes = static_cast<std::size_t>(r.integer(*bytes, 1024, k_max_bytes_limit, "bytes"));
  }
  if (const auto rows = m.find("max_rows")) {
    csv.max_rows = static_cast<std::size_t>(r.integer(*rows, 1, 100'000'000, "rows"));
  }
  source.settings = std::move(csv);
}

ConnectorResult make(const Config&, const SourceConfig& source, const connectors::ConnectorContext& ctx) {
  return std::make_unique<connectors::CsvConnector>(std::get<connectors::CsvSettings>(source.settings), ctx);
}

}  // namespace csv_source

const SourceKind k_csv_kind{"csv", csv_source::k_keys, false, false, csv_source::read, csv_source::make, nullptr};

}  // namespace pinsync::agent
