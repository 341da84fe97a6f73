#include "connectors/csv.h"

#include <algorithm>
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

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (to_lower(s[i]) != prefix[i]) return false;
  return true;
}

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

bool looks_like_html(const http::Response& response) {
  if (auto type = response.header("content-type"); type && starts_with_nocase(text::trim(*type), "text/html")) return true;
  std::string_view body = response.body;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  body = text::trim(body);
  return starts_with_nocase(body, "<!doctype html") || starts_with_nocase(body, "<html");
}

}  // namespace

Result<Table> parse_csv(std::string_view text, std::string_view ref_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Table table;
  bool have_header = false;
  std::size_t width = 0;
  // For columns with an empty header name: the first row that holds data there (0: none).
  std::vector<std::size_t> unnamed_data_line;
  std::vector<std::string> record;
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::size_t line = 1;

  while (i < n) {
    const std::size_t record_line = line;
    record.clear();
    bool end_of_record = false;
    while (!end_of_record) {
      std::string& field = record.emplace_back();
      if (i < n && text[i] == '"') {
        const std::size_t quote_line = line;
        ++i;
        while (true) {
          const std::size_t close = text.find('"', i);
          if (close == std::string_view::npos) {
            return fail(ErrorKind::invalid, ref(ref_name, quote_line) +
                                                ": a quoted field starting on this line is never closed: "
                                                "add the closing quote (\")");
          }
          const std::string_view chunk = text.substr(i, close - i);
          line += count_line_breaks(chunk);
          field.append(chunk);
          i = close + 1;
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
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        i += (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
        ++line;
        end_of_record = true;
      }
    }

    // A data row is blank when the cells the table keeps are: text only past the header's
    // width is left out, so it must not turn an empty line into a row of empty cells.
    bool blank = true;
    const std::size_t kept = have_header ? std::min(width, record.size()) : record.size();
    for (std::size_t c = 0; c < kept; ++c) {
      if (!blank_field(record[c])) {
        blank = false;
        break;
      }
    }
    if (blank) continue;

    if (!have_header) {
      have_header = true;
      width = record.size();
      unnamed_data_line.assign(width, 0);
      std::unordered_map<std::string_view, std::size_t> seen;
      table.columns.reserve(width);
      for (std::size_t c = 0; c < width; ++c) table.columns.emplace_back(text::trim(record[c]));
      for (std::size_t c = 0; c < width; ++c) {
        const std::string& name = table.columns[c];
        if (name.empty()) continue;
        if (auto [it, inserted] = seen.emplace(name, c); !inserted) {
          return fail(ErrorKind::invalid, ref(ref_name, record_line) + ": column \"" + name +
                                              "\" appears twice in the header (columns " +
                                              std::to_string(it->second + 1) + " and " + std::to_string(c + 1) +
                                              "): rename one of them");
        }
      }
      continue;
    }

    Row& row = table.rows.emplace_back();
    row.row_ref = ref(ref_name, record_line);
    record.resize(width);  // pads short rows; cells past the header are not part of the table
    for (std::size_t c = 0; c < width; ++c) {
      if (table.columns[c].empty() && unnamed_data_line[c] == 0 && !blank_field(record[c]))
        unnamed_data_line[c] = record_line;
    }
    row.cells = std::move(record);
    record = {};
  }

  if (!have_header) return fail(ErrorKind::invalid, std::string(ref_name) + ": the CSV has no header row");
  for (std::size_t c = 0; c < width; ++c) {
    if (unnamed_data_line[c] != 0) {
      return fail(ErrorKind::invalid, ref(ref_name, 1) + ": column " + std::to_string(c + 1) +
                                          " has no header name but holds data (first at " +
                                          ref(ref_name, unnamed_data_line[c]) +
                                          "): name it in the header row or clear that data");
    }
  }
  return table;
}

CsvConnector::CsvConnector(CsvSettings settings, ConnectorContext context)
    : m_settings(std::move(settings)), m_context(std::move(context)) {
  PINSYNC_ASSERT(m_context.make_transport);
}

Result<Table> CsvConnector::fetch() {
  const bool from_file = !m_settings.path.empty();
  if (!from_file && m_settings.url.empty())
    return fail(ErrorKind::config, "the CSV source has neither a path nor a url");
  auto text = from_file ? read_file() : fetch_url();
  if (!text) return std::unexpected(text.error());
  const std::string ref_name = from_file ? m_settings.path.filename().string() : std::string("csv-url");
  auto table = parse_csv(*text, ref_name);
  if (table && m_settings.max_rows > 0 && table->rows.size() > m_settings.max_rows) {
    return fail(ErrorKind::config, ref_name + " has " + std::to_string(table->rows.size()) + " rows, more than max_rows (" +
                                       std::to_string(m_settings.max_rows) +
                                       "): raise max_rows if the source is meant to be this large");
  }
  return table;
}

Error CsvConnector::too_large(const std::string& shown) const {
  return Error{ErrorKind::config, shown + " is larger than max_bytes (" + std::to_string(m_settings.max_bytes) +
                                      " bytes): raise max_bytes if the source is meant to be this large, or check "
                                      "the path or url"};
}

Result<std::string> CsvConnector::read_file() const {
  const std::string path = m_settings.path.string();
  const auto failed = [&](int err) {
    const ErrorKind kind = err == ENOENT ? ErrorKind::not_found : ErrorKind::transient;
    return fail(kind, "cannot read " + path + ": " + std::error_code(err, std::generic_category()).message());
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return failed(errno);
  std::string out;
  char buffer[1 << 16];
  while (true) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    if (out.size() + got > m_settings.max_bytes) return std::unexpected(too_large(path));
    out.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  if (std::ferror(file.get())) return failed(errno != 0 ? errno : EIO);
  return out;
}

Result<std::string> CsvConnector::fetch_url() const {
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
  auto response = transport->send(request);
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
  if (looks_like_html(*response)) {
    return fail(ErrorKind::config,
                shown + " returned an HTML page, not CSV: is the sheet published to the web as CSV?");
  }
  return std::move(response->body);
}

}  // namespace pinsync::connectors
