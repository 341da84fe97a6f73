// The CSV connector: an RFC 4180 reader and a Connector that reads a local file or a
// published http(s) CSV URL (e.g. a Google Sheet "published to the web as CSV").
// Rows keep a reference "file.csv:LINE" to the physical line where the record starts.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "core/error.h"

namespace pinsync::connectors {

// Parses CSV text. The first non-blank record is the header (names trimmed); quoted
// fields may hold commas, doubled quotes and line breaks (kept as written); CRLF, LF and
// CR all end a record; a UTF-8 BOM is dropped. Short rows are padded with "", cells past
// the header's width are left out, blank rows are skipped. Each row's row_ref is
// "ref_name:LINE", LINE being the 1-based physical line where the record starts.
// Returns the table, or Error{invalid} naming "ref_name:LINE" for an unterminated
// quote, a duplicate header name, or a column with data but no header name; an empty
// input is an error too ("has no header row").
Result<Table> parse_csv(std::string_view text, std::string_view ref_name);

// parse_csv's reader for text that arrives in pieces (a file read block by block): each
// row goes to the sink as soon as its record is complete, so memory holds the open record,
// not the text. Same rules and errors as parse_csv; past `max_rows` data rows (0: no limit)
// it fails with Error{config} naming the limit, without reading on.
class CsvParser {
 public:
  CsvParser(std::string_view ref_name, RowSink& sink, std::size_t max_rows = 0);
  // Takes the next piece (split anywhere, even inside a quoted field or a CRLF) and hands
  // the sink every row it completes. Returns the first error (the sink's begin() included).
  Result<void> feed(std::string_view data);
  // The end of the text: the last record, then the checks that need the whole file.
  Result<void> finish();

 private:
  // Reads the record at `i` into m_record (m_fields of it). Returns where the next one starts, or nullopt
  // when the record runs past the text and more may come; `lines` gets its line breaks.
  std::optional<std::size_t> read_record(std::string_view text, std::size_t i, bool at_end, std::size_t& lines);
  Result<void> parse(bool at_end);
  Result<void> take_record(std::size_t record_line);

  std::string m_ref_name;
  RowSink& m_sink;
  std::size_t m_max_rows = 0;
  std::string m_buffer;     // text not parsed yet, from m_pos
  std::size_t m_pos = 0;
  std::size_t m_line = 1;   // the physical line at m_pos
  bool m_bom_checked = false;
  bool m_unclosed = false;  // the text ended inside a quoted field
  bool m_have_header = false;
  std::size_t m_width = 0;
  std::size_t m_rows = 0;
  // The record being read: its first m_fields strings, reused from record to record (and
  // swapped with m_row's cells when a row is handed over) so that a sink that keeps no row
  // costs no allocation per row.
  std::vector<std::string> m_record;
  std::size_t m_fields = 0;
  Row m_row;  // what the sink gets; a sink that moves it away leaves it empty
  std::vector<bool> m_unnamed;  // columns with an empty header name
  // For columns with an empty header name: the first row that holds data there (0: none).
  std::vector<std::size_t> m_unnamed_data_line;
};

struct CsvSettings {
  std::filesystem::path path;  // a local file, or
  std::string url;             // an http(s) URL fetched with GET (following up to 5 redirects)
  // The largest file or download read; past it the read fails naming the limit, so an
  // endless or mistaken URL cannot take the agent's memory.
  std::size_t max_bytes = 256u * 1024 * 1024;
  // The most data rows taken (0: no limit); past it the read fails naming the limit.
  std::size_t max_rows = 0;
};

class CsvConnector final : public Connector {
 public:
  CsvConnector(CsvSettings settings, ConnectorContext context);

  // Reads the file or fetches the URL and parses it (row refs "name.csv:LINE" or
  // "csv-url:LINE"). Returns the table, or an Error: an unreadable file names the path
  // and the system's reason (kind not_found when missing, transient otherwise); a URL
  // answering non-2xx names the URL without its query string and the status, with the
  // kind http::error_kind_for gives a request built from settings (auth for 401/403,
  // not_found for 404, rate_limited for 429 with its Retry-After, transient for 5xx,
  // config for a plain 4xx); an HTML page instead of CSV is Error{config} saying to publish the
  // sheet as CSV; a transport failure keeps its kind; parse errors as parse_csv.
  Result<Table> fetch() override;
  // As fetch(), parsing a file or download while it is read.
  Result<void> read(RowSink& sink, bool changes_only) override;

 private:
  Result<void> read_file(CsvParser& parser) const;
  Error too_large(const std::string& shown) const;
  Result<void> read_url(CsvParser& parser) const;

  CsvSettings m_settings;
  ConnectorContext m_context;
};

}  // namespace pinsync::connectors
