#include "agent/mapping/mapper.h"

#include <algorithm>
#include <cstdio>

#include "agent/mapping/cells.h"
#include "agent/mapping/fingerprint.h"
#include "agent/mapping/source.h"
#include "agent/mapping/times.h"
#include "core/hash.h"
#include "core/json_writer.h"
#include "core/text.h"

namespace pinsync::agent {

using text::ascii_lower;

namespace {

constexpr std::size_t k_max_cell_bytes = 10'000;
constexpr std::size_t k_max_description_bytes = 50'000;
constexpr std::size_t k_max_title_chars = 300;

bool one_of(std::string_view value, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), value) != options.end();
}

// Everything of one row that goes into the payload, gathered before it is written so
// the keys can be emitted in sorted order.
struct EventFields {
  std::string_view title;
  std::string_view zone_name;
  EventTimes times;
  std::vector<std::string> slugs;
  CityEntry city{};
  std::string_view status;
  std::string_view location;
  std::string_view description;
  std::string_view ticket_url;
};

// Writes the Pinned Events create body. Keys are written in byte order at every level,
// which makes the text canonical: equal rows give equal bytes and an equal hash.
// Into `scratch`, which is reused from row to row.
void write_payload(const SourcePlan& plan, const EventFields& f, std::string& scratch) {
  json::Writer w(std::move(scratch));
  w.begin_object();
  w.key("approxLocation").begin_object().key("city").begin_object();
  if (!f.city.place->country_code.empty()) w.key("countryCode").value(f.city.place->country_code);
  w.key("name").value(*f.city.name).key("placeId").value(f.city.place->place_id);
  w.end_object().end_object();
  w.key("channelId").value(static_cast<std::int64_t>(plan.source->channel_id));
  w.key("classifications").begin_array();
  for (const auto& slug : f.slugs) w.value(slug);
  w.end_array();
  if (!f.description.empty()) w.key("description").value(f.description);
  if (f.times.end_at) w.key("endAt").value(*f.times.end_at);
  if (!f.location.empty()) w.key("locationName").value(f.location);
  if (!f.ticket_url.empty()) {
    w.key("offers").begin_array().begin_object();
    w.key("availability").value("available").key("name").value("Tickets").key("url").value(f.ticket_url);
    w.end_object().end_array();
  }
  w.key("startAt").value(f.times.start_at);
  w.key("status").value(f.status);
  w.key("timezone").value(f.zone_name);
  w.key("title").value(f.title);
  w.end_object();
  scratch = w.take();
}

// Reports unusable cells once, up front, so field parsers never see them.
void check_cells(const SourcePlan& plan, RowCells& cells, std::vector<RowError>& errors) {
  for (std::size_t i = 0; i < k_slot_count; ++i) {
    const auto slot = static_cast<Slot>(i);
    if (slot == Slot::approved || !plan.columns[i].index) continue;
    const std::string_view text = cells.text[i];
    const std::size_t limit = slot == Slot::description ? k_max_description_bytes : k_max_cell_bytes;
    if (auto shown = spreadsheet_error(text)) {
      add_error(plan, errors, slot, text,
                "the cell shows the spreadsheet error " + std::string(*shown) + ": fix the formula or value in the sheet");
    } else if (!is_valid_utf8(text)) {
      add_error(plan, errors, slot, text, "the cell is not valid UTF-8 text: save the sheet or file as UTF-8");
    } else if (const auto at = control_character(text)) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(static_cast<unsigned char>(text[*at])));
      add_error(plan, errors, slot, text,
                std::string("the cell holds the control character ") + code + " at byte " + std::to_string(*at + 1) +
                    ": remove it in the sheet (only tabs and line breaks may be in text)");
    } else if (text.size() > limit) {
      add_error(plan, errors, slot, text,
                "the cell holds " + std::to_string(text.size()) + " bytes, more than the " + std::to_string(limit) +
                    " allowed: shorten it");
    } else {
      continue;
    }
    cells.unusable[i] = true;
  }
}

void map_classifications(const SourcePlan& plan, const RowCells& cells, EventFields& f,
                         std::vector<RowError>& errors) {
  if (cells.bad(Slot::classifications)) return;
  const std::string_view text = cells[Slot::classifications];
  std::string_view rest = text;
  while (true) {
    const std::size_t pos = rest.find(plan.separator);
    const std::string_view label = trim_cell(rest.substr(0, pos));
    if (!label.empty()) {
      std::string lowered = ascii_lower(label);
      const auto mapped = plan.label_to_slug.find(lowered);
      std::string slug = mapped != plan.label_to_slug.end() ? mapped->second : std::move(lowered);
      if (std::find(f.slugs.begin(), f.slugs.end(), slug) == f.slugs.end()) {
        if (*plan.known_slugs && !(*plan.known_slugs)->contains(slug)) {
          add_error(plan, errors, Slot::classifications, text,
                    in_quotes(label) + " becomes the classification " + in_quotes(slug) +
                        ", which Pinned Events does not know: " + std::string(k_fix_map_classification));
        }
        f.slugs.push_back(std::move(slug));
      }
    }
    if (pos == std::string_view::npos) break;
    rest.remove_prefix(pos + plan.separator.size());
  }
  if (f.slugs.empty()) add_error(plan, errors, Slot::classifications, text, "no classification: the cell names none");
}

void map_city(const SourcePlan& plan, const RowCells& cells, EventFields& f, std::vector<RowError>& errors) {
  if (plan.only_city) {
    f.city = *plan.only_city;
    return;
  }
  if (cells.bad(Slot::city)) return;
  const std::string_view text = cells[Slot::city];
  if (text.empty()) {
    add_error(plan, errors, Slot::city, text, "no city: the cell is empty; known cities are " + plan.known_city_names);
    return;
  }
  const auto it = plan.cities.find(ascii_lower(text));
  if (it == plan.cities.end()) {
    add_error(plan, errors, Slot::city, text,
              "unknown city " + in_quotes(text) + ": known cities are " + plan.known_city_names +
                  " (" + std::string(k_fix_add_city) + ")");
    return;
  }
  f.city = it->second;
}

void map_status(const SourcePlan& plan, const RowCells& cells, EventFields& f, std::vector<RowError>& errors) {
  f.status = plan.source->status == EventStatus::published ? "published" : "draft";
  if (!plan.column(Slot::status).index || cells.bad(Slot::status)) return;
  const std::string value = ascii_lower(cells[Slot::status]);
  if (one_of(value, {"published", "publish", "yes", "true", "y", "x"})) {
    f.status = "published";
  } else if (one_of(value, {"draft", "no", "false", "n", ""})) {
    f.status = "draft";
  } else {
    add_error(plan, errors, Slot::status, cells[Slot::status],
              in_quotes(cells[Slot::status]) + " is not a status: write published or draft");
  }
}

void map_text_fields(const SourcePlan& plan, const RowCells& cells, EventFields& f, std::vector<RowError>& errors) {
  if (!cells.bad(Slot::title)) {
    f.title = cells[Slot::title];
    if (f.title.empty()) {
      add_error(plan, errors, Slot::title, f.title, "the title is empty: every event needs one");
    } else if (const std::size_t length = utf8_length(f.title); length > k_max_title_chars) {
      add_error(plan, errors, Slot::title, f.title,
                "the title is " + std::to_string(length) + " characters long, more than the 300 allowed: shorten it");
    }
  }
  if (!cells.bad(Slot::location)) f.location = cells[Slot::location];
  if (!cells.bad(Slot::description)) f.description = cells[Slot::description];
  if (!cells.bad(Slot::ticket_url) && !cells[Slot::ticket_url].empty()) {
    const std::string_view url = cells[Slot::ticket_url];
    const std::string lowered = ascii_lower(url.substr(0, 8));
    const bool has_scheme = lowered.starts_with("https://") || lowered.starts_with("http://");
    const bool has_space = url.find_first_of(" \t\r\n") != std::string_view::npos;
    if (!has_scheme || has_space || url.size() <= 8) {
      add_error(plan, errors, Slot::ticket_url, url,
                in_quotes(url) + " is not a web address: it must start with http:// or https:// and hold no spaces");
    } else {
      f.ticket_url = url;
    }
  }
}

// A row without an ID column is identified by its key cells: a change of any of them
// makes it a new row (the old event is reported removed), which is the trade-off the
// README explains.
std::string fingerprint_id(const SourcePlan& plan, const connectors::Row& row) {
  std::string key;
  for (const std::size_t index : plan.fingerprint) {
    if (index < row.cells.size()) key += ascii_lower(trim_cell(row.cells[index]));
    key += '\x1f';
  }
  return "fp-" + sha256_hex(key).substr(0, 20);
}

// Maps `row` into `out`, reusing its storage (a caller that drops most rows maps them all
// into one MappedRow without allocating).
// The trimmed cell of `slot`, "" when the slot is not mapped or the row is short.
std::string_view cell_of(const SourcePlan& plan, const connectors::Row& row, Slot slot) {
  const auto& index = plan.column(slot).index;
  return index && *index < row.cells.size() ? trim_cell(row.cells[*index]) : std::string_view();
}

// Fills the row's identity into `out` (source_id, row_ref, approved) and clears the rest.
void identify_row(const SourcePlan& plan, const connectors::Row& row, MappedRow& out) {
  out.source_id.clear();
  out.row_ref = row.row_ref;
  out.approved = false;
  out.payload.clear();
  out.payload_hash.clear();
  out.errors.clear();
  out.written_event_id.clear();
  if (plan.column(Slot::id).index) {
    out.source_id = cell_of(plan, row, Slot::id);
  } else if (!plan.fingerprint.empty()) {
    out.source_id = fingerprint_id(plan, row);
  } else {
    out.source_id = row.native_id;
  }
  if (plan.column(Slot::approved).index) {
    const std::string value = ascii_lower(cell_of(plan, row, Slot::approved));
    out.approved = std::find(plan.approved_values.begin(), plan.approved_values.end(), value) !=
                   plan.approved_values.end();
  } else {
    out.approved = true;
  }
}

void map_row(const SourcePlan& plan, const connectors::Row& row, std::string& scratch, MappedRow& out) {
  identify_row(plan, row, out);
  if (!out.approved) return;
  RowCells cells;
  for (std::size_t i = 0; i < k_slot_count; ++i) cells.text[i] = cell_of(plan, row, static_cast<Slot>(i));
  if (const auto& wb = plan.written_event_id; wb && *wb < row.cells.size()) {
    out.written_event_id = trim_cell(row.cells[*wb]);
  }

  std::vector<RowError>& errors = out.errors;
  check_cells(plan, cells, errors);
  if (out.source_id.empty() && !cells.bad(Slot::id)) {
    const MappedColumn& id = plan.column(Slot::id);
    add_error(plan, errors, Slot::id, "", "the row has no " + (id.index ? id.name : std::string("record id")));
  }

  EventFields f;
  map_text_fields(plan, cells, f, errors);
  ZoneClock* zone = nullptr;
  if (!cells.bad(Slot::timezone)) {
    const bool from_cell = !cells[Slot::timezone].empty();
    f.zone_name = from_cell ? cells[Slot::timezone] : std::string_view(plan.default_zone);
    auto& found = plan.zone(f.zone_name);
    if (found) zone = &*found;
    else add_error(plan, errors, Slot::timezone, f.zone_name, found.error().message);
  }
  if (auto times = map_times(plan, cells, zone, errors)) f.times = std::move(*times);
  map_classifications(plan, cells, f, errors);
  map_city(plan, cells, f, errors);
  map_status(plan, cells, f, errors);

  if (errors.empty()) {
    write_payload(plan, f, scratch);
    out.payload.assign(scratch);  // exact size for a new row; in place for a reused one
    sha256_hex(out.payload, out.payload_hash);
  }
}

}  // namespace

Result<std::vector<MappedRow>> map_table(const SourceConfig& source, const connectors::Table& table,
                                         const KnownSlugs& known_slugs) {
  auto mapper = RowMapper::open(source, table, known_slugs);
  if (!mapper) return std::unexpected(mapper.error());
  std::vector<MappedRow> rows;
  rows.reserve(table.rows.size());
  for (const auto& row : table.rows) rows.push_back(mapper->map(row));
  return rows;
}

Result<RowMapper> RowMapper::open(const SourceConfig& source, const connectors::Table& header,
                                  const KnownSlugs& known_slugs) {
  auto plan = prepare_source(source, header, known_slugs);
  if (!plan) return std::unexpected(plan.error());
  return RowMapper(std::move(*plan), mapping_fingerprint(source, header, known_slugs));
}

RowMapper::RowMapper(SourcePlan plan, Digest128 fingerprint) : m_plan(std::move(plan)), m_fingerprint(fingerprint) {
  for (const auto& column : m_plan.columns) {
    if (column.index) m_read_columns.push_back(*column.index);
  }
  m_read_columns.insert(m_read_columns.end(), m_plan.fingerprint.begin(), m_plan.fingerprint.end());
  std::ranges::sort(m_read_columns);
  m_read_columns.erase(std::unique(m_read_columns.begin(), m_read_columns.end()), m_read_columns.end());
}

void RowMapper::identify(const connectors::Row& row, MappedRow& out) const { identify_row(m_plan, row, out); }

Digest128 RowMapper::cells_token(const connectors::Row& row, std::string_view payload_hash) const {
  // Length-prefixed (LEB128: one byte for most cells, so a row's input mostly fits three
  // SHA-256 blocks), so cells cannot be shifted into one another; a missing cell reads as
  // the empty one, as the mapper reads it.
  std::string& in = m_token_input;
  in.assign(reinterpret_cast<const char*>(m_fingerprint.data()), m_fingerprint.size());
  const auto put = [&in](std::string_view text) {
    std::size_t size = text.size();
    do {
      const auto low = static_cast<char>(size & 0x7F);
      size >>= 7;
      in.push_back(static_cast<char>(low | (size != 0 ? 0x80 : 0)));
    } while (size != 0);
    in.append(text);
  };
  for (const std::size_t index : m_read_columns) put(index < row.cells.size() ? row.cells[index] : std::string_view());
  put(row.native_id);
  put(payload_hash);
  return sha256_128(in);
}

MappedRow RowMapper::map(const connectors::Row& row) {
  MappedRow out;
  map_row(m_plan, row, m_scratch, out);
  return out;
}

void RowMapper::map(const connectors::Row& row, MappedRow& out) { map_row(m_plan, row, m_scratch, out); }

}  // namespace pinsync::agent
