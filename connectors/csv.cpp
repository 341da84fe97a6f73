#include "connectors/csv.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/text.h"

namespace pinsync::connectors {

namespace {

bool blank_field(std::string_view s) { return text::trim(s).empty(); }

std::string ref(std::string_view ref_name, std::size_t line) {
  std::string out(ref_name);
  out += ':';
  out += std::to_string(line);
  return out;
}

// Line breaks inside a quoted field still move the physical line: CRLF counts once.
std::size_t count_line_breaks(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') ++count;
    else if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) ++count;
  }
  return count;
}

// The URL as it may appear in messages: no query string, fragment or user:password.
std::string redact_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  std::string out(url);
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto host_end = out.find('/', scheme + 3);
    const auto at = out.rfind('@', host_end == std::string::npos ? out.size() : host_end);
    if (at != std::string::npos && at > scheme) out.erase(scheme + 3, at - scheme - 2);
  }
  return out;
}

// Whether an answer (its headers and its body's start) is a web page rather than CSV.
bool looks_like_html(const http::Response& head, std::string_view body) {
  if (auto type = head.header("content-type"); type && text::istarts_with(text::trim(*type), "text/html")) return true;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  body = text::trim(body);
  return text::istarts_with(body, "<!doctype html") || text::istarts_with(body, "<html");
}

}  // namespace

CsvParser::CsvParser(std::string_view ref_name, RowSink& sink, std::size_t max_rows)
    : m_ref_name(ref_name), m_sink(sink), m_max_rows(max_rows) {}

Result<void> CsvParser::feed(std::string_view data) {
  if (m_pos > 0 && m_pos >= m_buffer.size() / 2) {
    m_buffer.erase(0, m_pos);  // what is parsed goes; the open record moves to the front
    m_pos = 0;
  }
  m_buffer.append(data);
  return parse(false);
}

Result<void> CsvParser::finish() {
  if (auto parsed = parse(true); !parsed) return parsed;
  if (!m_have_header) return fail(ErrorKind::invalid, m_ref_name + ": the CSV has no header row");
  for (std::size_t c = 0; c < m_width; ++c) {
    if (m_unnamed_data_line[c] != 0) {
      return fail(ErrorKind::invalid, ref(m_ref_name, 1) + ": column " + std::to_string(c + 1) +
                                          " has no header name but holds data (first at " +
                                          ref(m_ref_name, m_unnamed_data_line[c]) +
                                          "): name it in the header row or clear that data");
    }
  }
  return {};
}

std::optional<std::size_t> CsvParser::read_record(std::string_view text, std::size_t i, bool at_end,
                                                  std::size_t& lines) {
  const std::size_t n = text.size();
  lines = 0;
  m_fields = 0;
  while (true) {
    if (m_fields == m_record.size()) m_record.emplace_back();
    std::string& field = m_record[m_fields++];
    field.clear();
    if (i < n && text[i] == '"') {
      ++i;
      while (true) {
        const std::size_t close = text.find('"', i);
        if (close == std::string_view::npos) {
          if (!at_end) return std::nullopt;
          m_unclosed = true;
          return n;
        }
        const std::string_view chunk = text.substr(i, close - i);
        lines += count_line_breaks(chunk);
        field.append(chunk);
        i = close + 1;
        if (i == n && !at_end) return std::nullopt;  // a doubled quote may follow
        if (i < n && text[i] == '"') {
          field.push_back('"');
          ++i;
          continue;
        }
        break;
      }
    }
    // Unquoted text, or stray text after a closing quote, runs to the next delimiter;
    // it is kept as written rather than rejected, as spreadsheet exports do.
    std::size_t j = i;
    while (j < n && text[j] != ',' && text[j] != '\n' && text[j] != '\r') ++j;
    field.append(text.substr(i, j - i));
    i = j;
    if (i >= n) return at_end ? std::optional<std::size_t>(n) : std::nullopt;
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] == '\r' && i + 1 == n && !at_end) return std::nullopt;  // CRLF split between pieces
    i += (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
    ++lines;
    return i;
  }
}

Result<void> CsvParser::parse(bool at_end) {
  std::string_view text = m_buffer;
  if (!m_bom_checked) {
    if (text.size() < 3 && !at_end && std::string_view("\xEF\xBB\xBF").starts_with(text)) return {};
    if (text.starts_with("\xEF\xBB\xBF")) m_pos = 3;
    m_bom_checked = true;
  }
  while (m_pos < text.size()) {
    const std::size_t record_line = m_line;
    std::size_t lines = 0;
    const auto next = read_record(text, m_pos, at_end, lines);
    if (!next) return {};  // the record goes on in the next piece
    if (m_unclosed) {
      return fail(ErrorKind::invalid, ref(m_ref_name, record_line + lines) +
                                          ": a quoted field starting on this line is never closed: "
                                          "add the closing quote (\")");
    }
    m_pos = *next;
    m_line += lines;
    if (auto taken = take_record(record_line); !taken) return taken;
  }
  return {};
}

Result<void> CsvParser::take_record(std::size_t record_line) {
  // A data row is blank when the cells the table keeps are: text only past the header's
  // width is left out, so it must not turn an empty line into a row of empty cells.
  const std::size_t kept = m_have_header ? std::min(m_width, m_fields) : m_fields;
  bool blank = true;
  for (std::size_t c = 0; c < kept; ++c) {
    if (!blank_field(m_record[c])) {
      blank = false;
      break;
    }
  }
  if (blank) return {};

  if (!m_have_header) {
    m_have_header = true;
    m_width = m_fields;
    m_unnamed_data_line.assign(m_width, 0);
    Table header;
    header.columns.reserve(m_width);
    for (std::size_t c = 0; c < m_width; ++c) header.columns.emplace_back(text::trim(m_record[c]));
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t c = 0; c < m_width; ++c) {
      const std::string& name = header.columns[c];
      if (name.empty()) continue;
      if (auto [it, inserted] = seen.emplace(name, c); !inserted) {
        return fail(ErrorKind::invalid, ref(m_ref_name, record_line) + ": column \"" + name +
                                            "\" appears twice in the header (columns " +
                                            std::to_string(it->second + 1) + " and " + std::to_string(c + 1) +
                                            "): rename one of them");
      }
    }
    m_unnamed.resize(m_width);
    for (std::size_t c = 0; c < m_width; ++c) m_unnamed[c] = header.columns[c].empty();
    return m_sink.begin(header);
  }

  if (m_max_rows > 0 && m_rows == m_max_rows) {
    return fail(ErrorKind::config, m_ref_name + " has more than max_rows (" + std::to_string(m_max_rows) +
                                       ") rows: raise max_rows if the source is meant to be this large");
  }
  ++m_rows;
  // Pads short rows; cells past the header are not part of the table.
  m_record.resize(std::max(m_record.size(), m_width));
  for (std::size_t c = m_fields; c < m_width; ++c) m_record[c].clear();
  m_record.resize(m_width);
  for (std::size_t c = 0; c < m_width; ++c) {
    if (m_unnamed[c] && m_unnamed_data_line[c] == 0 && !blank_field(m_record[c])) m_unnamed_data_line[c] = record_line;
  }
  char line[24];
  const auto digits = std::to_chars(line, line + sizeof line, record_line);
  m_row.row_ref.assign(m_ref_name).append(1, ':').append(line, digits.ptr);
  m_row.native_id.clear();
  m_row.cells.swap(m_record);
  m_sink.row(std::move(m_row));
  return {};
}

namespace {

// Collects a read into a Table (parse_csv, fetch).
class TableSink final : public RowSink {
 public:
  explicit TableSink(Table& table) : m_table(table) {}
  Result<void> begin(const Table& header) override {
    m_table.columns = header.columns;
    m_table.time_zone = header.time_zone;
    m_table.complete = header.complete;
    return {};
  }
  void row(Row&& row) override { m_table.rows.push_back(std::move(row)); }

 private:
  Table& m_table;
};

}  // namespace

Result<Table> parse_csv(std::string_view text, std::string_view ref_name) {
  Table table;
  TableSink sink(table);
  CsvParser parser(ref_name, sink);
  if (auto fed = parser.feed(text); !fed) return std::unexpected(fed.error());
  if (auto done = parser.finish(); !done) return std::unexpected(done.error());
  return table;
}

CsvConnector::CsvConnector(CsvSettings settings, ConnectorContext context)
    : m_settings(std::move(settings)), m_context(std::move(context)) {
  PINSYNC_ASSERT(m_context.make_transport);
}

Result<Table> CsvConnector::fetch() {
  Table table;
  TableSink sink(table);
  if (auto done = read(sink, false); !done) return std::unexpected(done.error());
  return table;
}

Result<void> CsvConnector::read(RowSink& sink, bool changes_only) {
  (void)changes_only;  // a CSV file cannot tell what changed
  const bool from_file = !m_settings.path.empty();
  if (!from_file && m_settings.url.empty())
    return fail(ErrorKind::config, "the CSV source has neither a path nor a url");
  const std::string ref_name = from_file ? m_settings.path.filename().string() : std::string("csv-url");
  CsvParser parser(ref_name, sink, m_settings.max_rows);
  if (from_file) {
    if (auto fed = read_file(parser); !fed) return fed;
  } else if (auto fed = read_url(parser); !fed) {
    return fed;
  }
  return parser.finish();
}

Error CsvConnector::too_large(const std::string& shown) const {
  return Error{ErrorKind::config, shown + " is larger than max_bytes (" + std::to_string(m_settings.max_bytes) +
                                      " bytes): raise max_bytes if the source is meant to be this large, or check "
                                      "the path or url"};
}

Result<void> CsvConnector::read_file(CsvParser& parser) const {
  const std::string path = m_settings.path.string();
  const auto failed = [&](int err) {
    const ErrorKind kind = err == ENOENT ? ErrorKind::not_found : ErrorKind::transient;
    return fail(kind, "cannot read " + path + ": " + std::error_code(err, std::generic_category()).message());
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return failed(errno);
  // Parsed piece by piece as it is read: memory holds one piece and the rows taken so far
  // (which the pass drops as soon as it has compared them), never the whole file. A small
  // file gets a small piece: an agent polling hundreds of them each minute would otherwise
  // spend its idle time clearing 256 KiB buffers.
  struct stat info {};
  const auto size = ::fstat(::fileno(file.get()), &info) == 0 && info.st_size > 0
                        ? static_cast<std::size_t>(info.st_size) + 1
                        : std::size_t{1} << 18;
  const std::size_t piece = std::clamp<std::size_t>(size, 4096, std::size_t{1} << 18);
  const auto buffer = std::make_unique_for_overwrite<char[]>(piece);
  std::size_t total = 0;
  while (true) {
    const std::size_t got = std::fread(buffer.get(), 1, piece, file.get());
    total += got;
    if (total > m_settings.max_bytes) return std::unexpected(too_large(path));
    if (auto fed = parser.feed(std::string_view(buffer.get(), got)); !fed) return fed;
    if (got < piece) break;
  }
  if (std::ferror(file.get())) return failed(errno != 0 ? errno : EIO);
  return {};
}

Result<void> CsvConnector::read_url(CsvParser& parser) const {
  const std::string shown = redact_url(m_settings.url);
  auto transport = m_context.make_transport();
  PINSYNC_ASSERT(transport != nullptr);

  http::Request request;
  request.method = "GET";
  request.url = m_settings.url;
  request.api = "csv";
  request.route = "(csv)";  // a published file has no API layout
  request.timeout = m_context.timeout;
  request.headers.emplace_back("Accept", "text/csv, text/plain;q=0.9, */*;q=0.1");
  // "Publish to the web" links answer with a redirect to another Google host. No
  // credential rides on this GET, so following a few is safe; https stays https.
  request.max_redirects = 5;
  request.max_body = m_settings.max_bytes;
  const Error not_csv{ErrorKind::config,
                      shown + " returned an HTML page, not CSV: is the sheet published to the web as CSV?"};
  // Parsed piece by piece as it arrives, as a file is: memory never holds the whole download.
  std::optional<Error> refused;  // the parser's (or the sink's) error, which ends the download
  bool first = true;
  request.on_body = [&](const http::Response& head, std::string_view piece) -> Result<void> {
    if (std::exchange(first, false) && looks_like_html(head, piece)) refused = not_csv;
    if (!refused) {
      if (auto fed = parser.feed(piece); !fed) refused = fed.error();
    }
    if (refused) return std::unexpected(*refused);
    return {};
  };
  auto response = transport->send(request);
  if (refused) return std::unexpected(std::move(*refused));
  if (!response) {
    Error error = response.error().error;
    if (error.kind == ErrorKind::invalid) return std::unexpected(too_large(shown));  // the transport's body limit
    error.message = "GET " + shown + " failed: " + error.message;
    return std::unexpected(std::move(error));
  }
  if (response->status < 200 || response->status > 299) {
    Error error{http::error_kind_for(response->status, http::Refusal::bad_settings),
                "GET " + shown + " answered HTTP " + std::to_string(response->status)};
    if (response->status == 401 || response->status == 403 || response->status == 404)
      error.message += ": check the url and that the sheet is published to the web as CSV";
    if (response->status == 429) error.retry_after = response->retry_after(m_context.clock.now());
    return std::unexpected(std::move(error));
  }
  // A transport that does not stream (a test's) hands the body over whole.
  if (!response->body.empty() || first) {
    if (looks_like_html(*response, response->body)) return std::unexpected(not_csv);
    return parser.feed(response->body);
  }
  return {};
}

}  // namespace pinsync::connectors
