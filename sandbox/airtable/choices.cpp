// Select fields' options: the check every API write makes (an option that is not a choice is
// INVALID_MULTIPLE_CHOICE_OPTIONS unless typecast lets a base creator add it) and a partner
// renaming or deleting options in the base's UI (change_choices).
#include <algorithm>
#include <map>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "sandbox/airtable/store.h"

namespace pinsync_sandbox {

namespace {

// The option names a select cell holds.
std::vector<std::string> options_of(const CellValue& cell) {
  std::vector<std::string> out;
  if (cell.formula.kind == FormulaValue::Kind::text) {
    out.push_back(cell.formula.text);
  } else if (cell.formula.kind == FormulaValue::Kind::array) {
    for (const FormulaValue& item : cell.formula.items) out.push_back(item.text);
  }
  return out;
}

bool listed(const std::vector<std::string>& choices, const std::string& name) {
  return std::find(choices.begin(), choices.end(), name) != choices.end();
}

}  // namespace

std::expected<void, std::string> check_choices(AirtableField& field, const CellValue& cell, bool may_create) {
  if (!field.is_select()) return {};
  std::vector<std::string> missing;
  for (const std::string& name : options_of(cell)) {
    if (!listed(field.choices, name) && !listed(missing, name)) missing.push_back(name);
  }
  if (missing.empty()) return {};
  // Airtable quotes the option twice: its message wraps the option's JSON text in quotes.
  if (!may_create) return std::unexpected("Insufficient permissions to create new select option \"\"" + missing.front() + "\"\"");
  field.choices.insert(field.choices.end(), missing.begin(), missing.end());
  return {};
}

std::expected<void, std::string> change_choices(AirtableTable& table, const Poco::JSON::Object& body) {
  for (const std::string& key : body.getNames()) {
    if (key != "fields") return std::unexpected("unknown key \"" + key + "\"; expected {\"fields\":{\"Name\":{\"choices\":[…],\"renamed\":{…}}}}");
  }
  auto fields = body.getObject("fields");
  if (!fields) return std::unexpected(std::string("fields: expected an object {\"Name\":{\"choices\":[…],\"renamed\":{…}}}"));
  AirtableTable next = table;  // all or nothing
  for (const std::string& name : fields->getNames()) {
    auto index = next.field_index(name);
    if (!index || !next.fields[*index].is_select()) {
      return std::unexpected("fields." + name + ": not a singleSelect or multipleSelects field of the table");
    }
    AirtableField& field = next.fields[*index];
    auto spec = fields->getObject(name);
    auto choices = spec ? spec->getArray("choices") : nullptr;
    if (!choices) return std::unexpected("fields." + name + ".choices: expected an array of option names");
    std::vector<std::string> list;
    for (unsigned i = 0; i < choices->size(); ++i) {
      if (json_type(choices->get(i)) != JsonType::string) return std::unexpected("fields." + name + ".choices: options are strings");
      list.push_back(choices->getElement<std::string>(i));
    }
    std::map<std::string, std::string> renamed;
    if (spec->has("renamed")) {
      auto map = spec->getObject("renamed");
      if (!map) return std::unexpected("fields." + name + ".renamed: expected an object {\"old name\":\"new name\"}");
      for (const std::string& old_name : map->getNames()) {
        if (json_type(map->get(old_name)) != JsonType::string || !listed(list, map->getValue<std::string>(old_name))) {
          return std::unexpected("fields." + name + ".renamed." + old_name + ": the new name must be one of choices");
        }
        renamed[old_name] = map->getValue<std::string>(old_name);
      }
    }
    field.choices = list;
    for (AirtableRecord& record : next.records) {
      auto cell = record.cells.find(*index);
      if (cell == record.cells.end()) continue;
      Poco::JSON::Array::Ptr kept(new Poco::JSON::Array);
      for (const std::string& option : options_of(cell->second)) {
        auto to = renamed.find(option);
        const std::string& now = to == renamed.end() ? option : to->second;
        if (listed(list, now)) kept->add(now);
      }
      Poco::Dynamic::Var value;
      if (field.type.name == "singleSelect") {
        if (kept->size() > 0) value = kept->get(0);
      } else {
        value = kept;
      }
      auto normalised = normalize_cell(field.type, field.name, value, Typecast::off);
      if (!normalised || !*normalised) {
        record.cells.erase(cell);
      } else {
        cell->second = **normalised;
      }
    }
  }
  table = std::move(next);
  return {};
}

}  // namespace pinsync_sandbox
