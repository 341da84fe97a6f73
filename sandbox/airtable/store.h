// The data behind the emulated Airtable API: bases, tables with typed fields and views, records
// with per-field modification times, how a record is rendered on the wire, and how the control
// route replaces a table's content. Not thread-safe: AirtableApi holds the lock.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/JSON/Object.h>

#include "sandbox/airtable/fields.h"
#include "sandbox/airtable/formula.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

struct AirtableField {
  std::string id;  // fld…
  std::string name;
  FieldType type;
  std::vector<std::string> choices;  // singleSelect / multipleSelects: the options, in order

  // Returns true for singleSelect and multipleSelects.
  bool is_select() const { return type.name == "singleSelect" || type.name == "multipleSelects"; }
};

struct AirtableRecord {
  std::string id;  // rec…
  AirtableTime created{};
  AirtableTime last_modified{};                    // creation, or the last real change of any field
  std::map<std::size_t, CellValue> cells;          // field index → value; empty fields absent
  std::map<std::size_t, AirtableTime> modified;    // field index → last change (kept when cleared)
};

struct SortSpec {
  std::size_t field = 0;
  bool descending = false;
};

struct AirtableView {
  std::string id;  // viw…
  std::string name;
  std::optional<Formula> filter;
  std::vector<SortSpec> sort;
};

struct AirtableTable {
  std::string id;  // tbl…
  std::string name;
  std::string base_id;
  std::vector<AirtableField> fields;    // never shrinks: indices stay valid for parsed formulas
  std::vector<AirtableRecord> records;  // creation order
  std::vector<AirtableView> views;

  // Returns the index of the field with this name or fld… id, or nullopt.
  std::optional<std::size_t> field_index(std::string_view name_or_id) const;
  // Returns the record with this id, or nullptr.
  const AirtableRecord* find(std::string_view record_id) const;
  AirtableRecord* find(std::string_view record_id);
  // Returns the view with this name or viw… id, or nullptr.
  const AirtableView* view(std::string_view name_or_id) const;
  // Adds a field (its id derived from base, table and name) and returns its index.
  std::size_t add_field(const std::string& name, FieldType type);
};

// Resolves {Field} names of one table for the formula parser.
class TableFieldResolver final : public FieldResolver {
 public:
  explicit TableFieldResolver(const AirtableTable& table) : m_table(table) {}
  std::optional<std::size_t> resolve(std::string_view name) const override { return m_table.field_index(name); }

 private:
  const AirtableTable& m_table;
};

// One record as the formula evaluator sees it.
class RecordFormulaView final : public FormulaRecord {
 public:
  explicit RecordFormulaView(const AirtableRecord& record) : m_record(record) {}
  FormulaValue field(std::size_t index) const override;
  std::string record_id() const override { return m_record.id; }
  AirtableTime created_time() const override { return m_record.created; }
  std::optional<AirtableTime> last_modified(std::span<const std::size_t> fields) const override;

 private:
  const AirtableRecord& m_record;
};

enum class FieldKeys { names, ids };

// Writes {"id","createdTime","fields":{…}} as the list endpoint does: only non-empty fields, keyed
// by name or fld… id, limited to `only` when it is non-empty. With `with_modified` (control
// route only) adds "lastModifiedTime"; with `strings` (cellFormat=string) every value is a string.
void write_record(JsonOut& out, const AirtableTable& table, const AirtableRecord& record, FieldKeys keys,
                  const std::vector<std::size_t>& only, bool with_modified = false,
                  const StringFormat* strings = nullptr);

// Sets field `index` of `record` to `cell` (nullopt clears it) at `now`. Returns true when the
// value really changed; only then do the field's and the record's modification times move.
bool set_cell(AirtableRecord& record, std::size_t index, const std::optional<CellValue>& cell, AirtableTime now);

// Returns `prefix` + 14 random letters/digits ("rec8Xk…").
std::string random_airtable_id(std::string_view prefix, std::mt19937_64& rng);

class AirtableStore {
 public:
  // Returns the table (by name or tbl… id) of a known base, or nullptr.
  AirtableTable* find_table(std::string_view base_id, std::string_view table);
  // Returns true when some table of the base was ever put.
  bool has_base(std::string_view base_id) const { return m_bases.count(std::string(base_id)) != 0; }
  // Returns the table, creating base and table when absent.
  AirtableTable& table_for_put(const std::string& base_id, const std::string& table);
  // Removes the table (and its base when it was the last table); no-op when absent.
  void remove_table(const std::string& base_id, const std::string& table);
  void reset() { m_bases.clear(); }

 private:
  std::map<std::string, std::vector<std::unique_ptr<AirtableTable>>> m_bases;
};

// Checks the select options of `cell` (a value normalised for `field`) against the field's
// choices. A missing option is added to `field` when `may_create` (typecast by a base creator);
// otherwise the result is Airtable's INVALID_MULTIPLE_CHOICE_OPTIONS message
// ("Insufficient permissions to create new select option ""X"""). Other fields pass.
std::expected<void, std::string> check_choices(AirtableField& field, const CellValue& cell, bool may_create);

// A partner's change to a select field's options (PATCH /_sandbox/airtable/{base}/{table}):
// `choices` becomes the option list; `renamed` (old → new) rewrites the cells that held an old
// name; a cell option no longer listed is removed from the cell. Modification times do not
// move: a cell holds the option itself, whose name alone changed. Returns nothing, or a message
// naming the bad part (nothing is changed then).
std::expected<void, std::string> change_choices(AirtableTable& table, const Poco::JSON::Object& body);

// Replaces the content of `table` from a control body {"records":[{"id"?,"fields":{…}}],
// "fields":{"Name":"type"}?, "views":[{"name","filterByFormula"?,"sort"?}]?}: records absent from
// the body are deleted, ids are generated when absent, modification times move only for fields
// whose value changed. Returns nothing, or a message naming the bad part (nothing is changed then).
std::expected<void, std::string> replace_table_content(AirtableTable& table, const Poco::JSON::Object& body,
                                                       AirtableTime now, std::mt19937_64& rng);

}  // namespace pinsync_sandbox
