// GET /v0/{baseId}/{table}: the list-records endpoint of AirtableApi (see api.h).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "sandbox/airtable/api.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr int k_max_page_size = 100;
constexpr std::size_t k_max_iterators = 256;

std::optional<std::int64_t> positive(std::string_view s) {
  std::int64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

bool alnum_run(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// "itr" + 14 + "/" + "rec" + 14, the observed shape of an offset.
bool well_formed_offset(std::string_view s) {
  return s.size() == 35 && s.substr(0, 3) == "itr" && alnum_run(s.substr(3, 14)) && s[17] == '/' &&
         s.substr(18, 3) == "rec" && alnum_run(s.substr(21));
}

// Parses "sort[N][field]" / "sort[N][direction]". Returns {N, "field"|"direction"} or nullopt.
std::optional<std::pair<int, std::string>> sort_param(std::string_view name) {
  if (name.rfind("sort[", 0) != 0) return std::nullopt;
  auto close = name.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view number = name.substr(5, close - 5);
  int index = -1;
  auto res = std::from_chars(number.data(), number.data() + number.size(), index);
  if (number.empty() || res.ec != std::errc() || res.ptr != number.data() + number.size() || index < 0 || index > 100) {
    return std::nullopt;
  }
  std::string_view rest = name.substr(close + 1);
  if (rest == "[field]") return std::make_pair(index, std::string("field"));
  if (rest == "[direction]") return std::make_pair(index, std::string("direction"));
  return std::nullopt;
}

Response unknown_field(std::string_view name) {
  return airtable_error(422, "UNKNOWN_FIELD_NAME", "Unknown field name: \"" + std::string(name) + "\"");
}

}  // namespace

Response AirtableApi::list_records(const Request& req, AirtableTable& table) {
  std::int64_t page_size = k_max_page_size;
  std::optional<std::int64_t> max_records;
  std::optional<std::string> offset, view_name, formula_text;
  std::vector<std::size_t> only;
  FieldKeys keys = FieldKeys::names;
  std::map<int, std::pair<std::string, std::string>> sorts;  // index → field, direction
  bool as_strings = false;
  StringFormat strings;
  std::string signature = table.id;
  for (const auto& [name, value] : req.query_list) {
    if (name != "offset" && name != "pageSize") signature += "\x1e" + name + "\x1f" + value;
    if (name == "pageSize") {
      auto n = positive(value);
      if (!n || *n > k_max_page_size) return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
      page_size = *n;
    } else if (name == "maxRecords") {
      max_records = positive(value);
      if (!max_records) return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
    } else if (name == "offset") {
      offset = value;
    } else if (name == "view") {
      view_name = value;
    } else if (name == "filterByFormula") {
      formula_text = value;
    } else if (name == "fields[]") {
      auto index = table.field_index(value);
      if (!index) return unknown_field(value);
      only.push_back(*index);
    } else if (auto sp = sort_param(name)) {
      (sp->second == "field" ? sorts[sp->first].first : sorts[sp->first].second) = value;
    } else if (name == "cellFormat") {
      if (value != "json" && value != "string") return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
      as_strings = value == "string";
    } else if (name == "timeZone") {
      strings.time_zone = value;
    } else if (name == "userLocale") {
      strings.locale = ascii_lower(value);
    } else if (name == "returnFieldsByFieldId") {
      if (value == "true" || value == "1") {
        keys = FieldKeys::ids;
      } else if (value != "false" && value != "0") {
        return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
      }
    } else {
      return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
    }
  }
  // cellFormat=string needs both the time zone and the locale, and a zone that exists.
  if (as_strings && (strings.time_zone.empty() || strings.locale.empty() || !is_known_time_zone(strings.time_zone) ||
                     !std::all_of(strings.locale.begin(), strings.locale.end(),
                                  [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }))) {
    return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
  }
  std::vector<SortSpec> sort_specs;
  for (const auto& [index, spec] : sorts) {
    auto field = table.field_index(spec.first);
    if (!field) return unknown_field(spec.first);
    if (!spec.second.empty() && spec.second != "asc" && spec.second != "desc") {
      return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
    }
    sort_specs.push_back({*field, spec.second == "desc"});
  }

  auto t_now = precise_now();
  auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(m_settings.offset_ttl_seconds));
  std::string itr_id;
  std::size_t start = 0;
  const std::vector<std::string>* ids = nullptr;
  std::vector<std::string> fresh_ids;
  if (offset) {
    if (!well_formed_offset(*offset)) {
      return airtable_error(422, "INVALID_OFFSET_VALUE", "The value of offset " + *offset + " is invalid");
    }
    itr_id = offset->substr(0, 17);
    auto it = m_iterators.find(itr_id);
    bool ok = it != m_iterators.end() && it->second.table_id == table.id && it->second.signature == signature &&
              t_now - it->second.last_used <= ttl;
    if (ok && m_reject_next_offsets > 0) {
      --m_reject_next_offsets;
      ok = false;
    }
    if (ok) {
      auto pos = std::find(it->second.ids.begin(), it->second.ids.end(), offset->substr(18));
      ok = pos != it->second.ids.end();
      start = static_cast<std::size_t>(pos - it->second.ids.begin());
    }
    if (!ok) {
      if (it != m_iterators.end()) m_iterators.erase(it);
      // Observed without a message; clients must restart from the first page.
      return airtable_error(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "");
    }
    it->second.last_used = t_now;
    ids = &it->second.ids;
  } else {
    const AirtableView* view = nullptr;
    if (view_name) {
      view = table.view(*view_name);
      if (!view) return airtable_error(422, "VIEW_NAME_NOT_FOUND", "View " + *view_name + " not found");
    }
    std::optional<Formula> formula;
    if (formula_text && !formula_text->empty()) {
      auto f = parse_formula(*formula_text, TableFieldResolver(table));
      if (!f) {
        return airtable_error(422, "INVALID_FILTER_BY_FORMULA", "The formula for filtering records is invalid: " + f.error());
      }
      formula = *f;
    }
    AirtableTime at = now();
    std::vector<const AirtableRecord*> rows;
    for (const AirtableRecord& rec : table.records) {
      RecordFormulaView rv(rec);
      if (view && view->filter && !formula_truthy(view->filter->evaluate(rv, at))) continue;
      if (formula && !formula_truthy(formula->evaluate(rv, at))) continue;
      rows.push_back(&rec);
    }
    const std::vector<SortSpec>& order = !sort_specs.empty() ? sort_specs : (view ? view->sort : sort_specs);
    if (!order.empty()) {
      std::stable_sort(rows.begin(), rows.end(), [&](const AirtableRecord* a, const AirtableRecord* b) {
        RecordFormulaView va(*a), vb(*b);
        for (const SortSpec& s : order) {
          int c = compare_for_sort(va.field(s.field), vb.field(s.field));
          if (c != 0) return s.descending ? c > 0 : c < 0;
        }
        return false;
      });
    }
    if (max_records && rows.size() > static_cast<std::size_t>(*max_records)) rows.resize(static_cast<std::size_t>(*max_records));
    for (const AirtableRecord* r : rows) fresh_ids.push_back(r->id);
    ids = &fresh_ids;
  }

  JsonOut out;
  out.begin_object().key("records").begin_array();
  std::size_t i = start;
  std::int64_t emitted = 0;
  while (i < ids->size() && emitted < page_size) {
    const AirtableRecord* rec = table.find((*ids)[i++]);
    if (!rec) continue;  // deleted since the list started
    write_record(out, table, *rec, keys, only, false, as_strings ? &strings : nullptr);
    ++emitted;
  }
  while (i < ids->size() && !table.find((*ids)[i])) ++i;
  out.end_array();
  if (i < ids->size()) {
    std::string next_id = (*ids)[i];
    if (itr_id.empty()) {
      if (m_iterators.size() >= k_max_iterators) {
        auto oldest = std::min_element(m_iterators.begin(), m_iterators.end(),
                                       [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
        m_iterators.erase(oldest);
      }
      do itr_id = random_airtable_id("itr", m_rng);
      while (m_iterators.count(itr_id));
      m_iterators[itr_id] = Iterator{table.id, signature, std::move(fresh_ids), t_now};
    }
    out.key("offset").value(itr_id + "/" + next_id);
  }
  out.end_object();
  return airtable_ok(out.take());
}

}  // namespace pinsync_sandbox
