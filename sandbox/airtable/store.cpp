#include "sandbox/airtable/store.h"

#include <algorithm>
#include <set>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::uint64_t fnv1a(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ull ^ seed;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Stable ids (same base, table and name → same id across runs) so tests and docs can name them.
std::string derived_id(std::string_view prefix, std::string_view seed) {
  std::string out(prefix);
  std::string salted = std::string(prefix) + ":" + std::string(seed);  // a view and a field of one name differ
  std::uint64_t a = fnv1a(salted, 1), b = fnv1a(salted, 2);
  for (int i = 0; i < 14; ++i) {
    std::uint64_t& h = i < 7 ? a : b;
    out += k_alphabet[h % k_alphabet.size()];
    h /= k_alphabet.size();
  }
  return out;
}

bool is_id(std::string_view s, std::string_view prefix) {
  if (s.size() != 17 || s.substr(0, 3) != prefix) return false;
  return std::all_of(s.begin() + 3, s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// Type for a field whose only values are empty: false suggests a checkbox, [] a multiple select.
FieldType type_from_empty(const Poco::Dynamic::Var& v) {
  if (json_type(v) == JsonType::boolean) return *field_type_named("checkbox");
  if (json_type(v) == JsonType::array) return *field_type_named("multipleSelects");
  return *field_type_named("singleLineText");
}

std::expected<std::vector<AirtableView>, std::string> parse_views(const AirtableTable& table,
                                                                  const Poco::JSON::Array& views) {
  std::vector<AirtableView> out;
  for (std::size_t i = 0; i < views.size(); ++i) {
    std::string where = "views[" + std::to_string(i) + "]";
    auto v = views.getObject(static_cast<unsigned>(i));
    if (!v || !v->has("name") || json_type(v->get("name")) != JsonType::string) {
      return std::unexpected(where + ": expected an object with a \"name\" string");
    }
    AirtableView view;
    view.name = v->getValue<std::string>("name");
    view.id = derived_id("viw", table.base_id + "/" + table.id + "/" + view.name);
    if (v->has("filterByFormula")) {
      if (json_type(v->get("filterByFormula")) != JsonType::string) return std::unexpected(where + ".filterByFormula: expected a string");
      auto f = parse_formula(v->getValue<std::string>("filterByFormula"), TableFieldResolver(table));
      if (!f) return std::unexpected(where + ".filterByFormula: " + f.error());
      view.filter = *f;
    }
    if (v->has("sort")) {
      auto sorts = v->getArray("sort");
      if (!sorts) return std::unexpected(where + ".sort: expected an array of {\"field\",\"direction\"}");
      for (std::size_t k = 0; k < sorts->size(); ++k) {
        auto s = sorts->getObject(static_cast<unsigned>(k));
        std::string field = s && s->has("field") ? s->getValue<std::string>("field") : "";
        std::string direction = s && s->has("direction") ? s->getValue<std::string>("direction") : "asc";
        auto index = table.field_index(field);
        if (!index || (direction != "asc" && direction != "desc")) {
          return std::unexpected(where + ".sort[" + std::to_string(k) + "]: unknown field or direction (asc|desc)");
        }
        view.sort.push_back({*index, direction == "desc"});
      }
    }
    out.push_back(std::move(view));
  }
  return out;
}

}  // namespace

std::optional<std::size_t> AirtableTable::field_index(std::string_view name_or_id) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name_or_id || fields[i].id == name_or_id) return i;
  }
  return std::nullopt;
}

const AirtableRecord* AirtableTable::find(std::string_view record_id) const {
  for (const AirtableRecord& r : records) {
    if (r.id == record_id) return &r;
  }
  return nullptr;
}

AirtableRecord* AirtableTable::find(std::string_view record_id) {
  return const_cast<AirtableRecord*>(static_cast<const AirtableTable*>(this)->find(record_id));
}

const AirtableView* AirtableTable::view(std::string_view name_or_id) const {
  for (const AirtableView& v : views) {
    if (v.name == name_or_id || v.id == name_or_id) return &v;
  }
  return nullptr;
}

std::size_t AirtableTable::add_field(const std::string& field_name, FieldType type) {
  fields.push_back({derived_id("fld", base_id + "/" + id + "/" + field_name), field_name, std::move(type), {}});
  return fields.size() - 1;
}

FormulaValue RecordFormulaView::field(std::size_t index) const {
  auto it = m_record.cells.find(index);
  return it == m_record.cells.end() ? FormulaValue::blank() : it->second.formula;
}

std::optional<AirtableTime> RecordFormulaView::last_modified(std::span<const std::size_t> fields) const {
  if (fields.empty()) return m_record.last_modified;
  std::optional<AirtableTime> latest;
  for (std::size_t index : fields) {
    auto it = m_record.modified.find(index);
    if (it != m_record.modified.end() && (!latest || it->second > *latest)) latest = it->second;
  }
  return latest;
}

void write_record(JsonOut& out, const AirtableTable& table, const AirtableRecord& record, FieldKeys keys,
                  const std::vector<std::size_t>& only, bool with_modified, const StringFormat* strings) {
  out.begin_object().key("id").value(record.id).key("createdTime").value(format_airtable_time(record.created));
  if (with_modified) out.key("lastModifiedTime").value(format_airtable_time(record.last_modified));
  out.key("fields").begin_object();
  for (const auto& [index, cell] : record.cells) {
    if (!only.empty() && std::find(only.begin(), only.end(), index) == only.end()) continue;
    const AirtableField& f = table.fields[index];
    out.key(keys == FieldKeys::ids ? f.id : f.name);
    if (strings) {
      out.value(cell_as_string(f.type, cell, *strings));
    } else {
      out.raw(cell.json);
    }
  }
  out.end_object().end_object();
}

bool set_cell(AirtableRecord& record, std::size_t index, const std::optional<CellValue>& cell, AirtableTime now) {
  auto it = record.cells.find(index);
  bool had = it != record.cells.end();
  if (!cell) {
    if (!had) return false;
    record.cells.erase(it);
  } else {
    if (had && it->second.json == cell->json) return false;
    record.cells[index] = *cell;
  }
  record.modified[index] = now;
  record.last_modified = std::max(record.last_modified, now);
  return true;
}

std::string random_airtable_id(std::string_view prefix, std::mt19937_64& rng) {
  std::string out(prefix);
  std::uniform_int_distribution<std::size_t> pick(0, k_alphabet.size() - 1);
  for (int i = 0; i < 14; ++i) out += k_alphabet[pick(rng)];
  return out;
}

AirtableTable* AirtableStore::find_table(std::string_view base_id, std::string_view table) {
  auto it = m_bases.find(std::string(base_id));
  if (it == m_bases.end()) return nullptr;
  for (auto& t : it->second) {
    if (t->name == table || t->id == table) return t.get();
  }
  return nullptr;
}

AirtableTable& AirtableStore::table_for_put(const std::string& base_id, const std::string& table) {
  if (AirtableTable* t = find_table(base_id, table)) return *t;
  auto t = std::make_unique<AirtableTable>();
  t->base_id = base_id;
  t->name = table;
  t->id = derived_id("tbl", base_id + "/" + table);
  auto& tables = m_bases[base_id];
  tables.push_back(std::move(t));
  return *tables.back();
}

void AirtableStore::remove_table(const std::string& base_id, const std::string& table) {
  auto it = m_bases.find(base_id);
  if (it == m_bases.end()) return;
  std::erase_if(it->second, [&](const auto& t) { return t->name == table || t->id == table; });
  if (it->second.empty()) m_bases.erase(it);
}

std::expected<void, std::string> replace_table_content(AirtableTable& table, const Poco::JSON::Object& body,
                                                       AirtableTime now, std::mt19937_64& rng) {
  AirtableTable next = table;  // all-or-nothing: work on a copy
  if (body.has("fields")) {
    auto declared = body.getObject("fields");
    if (!declared) return std::unexpected("fields: expected an object {\"Field name\":\"type\"}");
    for (const std::string& name : declared->getNames()) {
      // "Name": "type", or "Name": {"type": "singleSelect", "choices": ["A", "B"]}.
      auto spec = declared->get(name);
      Poco::JSON::Object::Ptr spec_obj = json_type(spec) == JsonType::object ? spec.extract<Poco::JSON::Object::Ptr>() : nullptr;
      std::string type_name = json_type(spec) == JsonType::string ? spec.extract<std::string>()
                              : spec_obj && json_type(spec_obj->get("type")) == JsonType::string
                                  ? spec_obj->getValue<std::string>("type")
                                  : std::string();
      auto type = field_type_named(type_name);
      if (!type) return std::unexpected("fields." + name + ": unknown type; use an Airtable type name such as "
                                        "singleLineText, number, checkbox, date, dateTime, singleSelect, multipleSelects");
      std::size_t index = 0;
      if (auto found = next.field_index(name)) {
        index = *found;
        next.fields[index].type = *type;
      } else {
        index = next.add_field(name, *type);
      }
      if (spec_obj && spec_obj->has("choices")) {
        auto choices = spec_obj->getArray("choices");
        if (!choices || !next.fields[index].is_select()) {
          return std::unexpected("fields." + name + ".choices: expected an array of option names on a singleSelect or "
                                 "multipleSelects field");
        }
        next.fields[index].choices.clear();
        for (unsigned i = 0; i < choices->size(); ++i) {
          if (json_type(choices->get(i)) != JsonType::string) {
            return std::unexpected("fields." + name + ".choices: every option must be a string");
          }
          next.fields[index].choices.push_back(choices->getElement<std::string>(i));
        }
      }
    }
  }
  auto records = body.getArray("records");
  if (!records) return std::unexpected("records: expected an array of {\"id\"?,\"fields\":{…}}");

  // Pass 1: types for new field names, from the first non-empty value seen.
  std::map<std::string, Poco::Dynamic::Var> empty_only;
  for (std::size_t i = 0; i < records->size(); ++i) {
    auto rec = records->getObject(static_cast<unsigned>(i));
    if (!rec) return std::unexpected("records[" + std::to_string(i) + "]: expected an object");
    auto fields = rec->getObject("fields");
    if (rec->has("fields") && !fields) return std::unexpected("records[" + std::to_string(i) + "].fields: expected an object");
    if (!fields) continue;
    for (const std::string& name : fields->getNames()) {
      if (next.field_index(name)) continue;
      if (auto type = infer_field_type(fields->get(name))) {
        next.add_field(name, *type);
        empty_only.erase(name);
      } else {
        empty_only.emplace(name, fields->get(name));
      }
    }
  }
  for (const auto& [name, value] : empty_only) next.add_field(name, type_from_empty(value));

  // Pass 2: the new record list; existing records keep their place (creation order).
  std::vector<AirtableRecord> kept, added;
  std::set<std::string> seen;
  std::map<std::string, AirtableRecord> updated;
  for (std::size_t i = 0; i < records->size(); ++i) {
    std::string where = "records[" + std::to_string(i) + "]";
    auto rec = records->getObject(static_cast<unsigned>(i));
    std::string id;
    if (rec->has("id")) {
      if (json_type(rec->get("id")) != JsonType::string || !is_id(rec->getValue<std::string>("id"), "rec")) {
        return std::unexpected(where + ".id: expected \"rec\" + 14 letters/digits");
      }
      id = rec->getValue<std::string>("id");
    } else {
      do id = random_airtable_id("rec", rng);
      while (next.find(id) || seen.count(id));
    }
    if (!seen.insert(id).second) return std::unexpected(where + ".id: " + id + " appears twice");
    AirtableRecord r;
    const AirtableRecord* old = next.find(id);
    if (old) {
      r = *old;
    } else {
      r.id = id;
      r.created = now;
      r.last_modified = now;
    }
    std::map<std::size_t, std::optional<CellValue>> values;
    for (const auto& [index, cell] : r.cells) values[index] = std::nullopt;  // absent from the body: cleared
    if (auto fields = rec->getObject("fields")) {
      for (const std::string& name : fields->getNames()) {
        std::size_t index = *next.field_index(name);
        auto cell = normalize_cell(next.fields[index].type, name, fields->get(name), Typecast::off);
        if (!cell) return std::unexpected(where + ".fields." + name + ": " + cell.error() + " (type " + next.fields[index].type.name + ")");
        // Typing a new option in the grid creates it, as the partner's UI does.
        if (*cell) (void)check_choices(next.fields[index], **cell, true);
        values[index] = *cell;
      }
    }
    for (const auto& [index, cell] : values) set_cell(r, index, cell, now);
    if (old) {
      updated.emplace(id, std::move(r));
    } else {
      added.push_back(std::move(r));
    }
  }
  for (const AirtableRecord& r : next.records) {
    auto it = updated.find(r.id);
    if (it != updated.end()) kept.push_back(std::move(it->second));
  }
  for (AirtableRecord& r : added) kept.push_back(std::move(r));
  next.records = std::move(kept);

  if (body.has("views")) {
    auto views = body.getArray("views");
    if (!views) return std::unexpected("views: expected an array of {\"name\",\"filterByFormula\"?,\"sort\"?}");
    auto parsed = parse_views(next, *views);
    if (!parsed) return std::unexpected(parsed.error());
    next.views = std::move(*parsed);
  }
  table = std::move(next);
  return {};
}

}  // namespace pinsync_sandbox
