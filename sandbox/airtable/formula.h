// The filterByFormula subset of the emulated Airtable API: a parser that refuses what it does
// not know (so a connector cannot rely on a function the sandbox only pretends to have) and an
// evaluator over one record. Also the UTC timestamp helpers Airtable's wire format needs.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinsync_sandbox {

// Airtable timestamps: UTC with second precision (milliseconds on the wire are always .000).
using AirtableTime = std::chrono::sys_time<std::chrono::milliseconds>;

// Returns "2026-06-12T18:00:00.000Z" (milliseconds truncated away, as Airtable does).
std::string format_airtable_time(AirtableTime t);
// Returns "2026-06-12" for the UTC day of `t`.
std::string format_airtable_date(AirtableTime t);
// Parses "YYYY-MM-DD" or "YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]" (no zone = UTC). Returns the
// instant, or nullopt when the text is not such a timestamp or names an impossible date/time.
std::optional<AirtableTime> parse_airtable_time(std::string_view text);
// Returns true when `text` is exactly "YYYY-MM-DD" with a real calendar date.
bool is_date_only(std::string_view text);

// A formula value: what a field, literal or function yields.
// A number as Airtable writes it in text (formula results, cells turned to strings):
// integers without a fraction, others in their shortest exact form, NaN as "NaN".
std::string number_text(double n);

struct FormulaValue {
  enum class Kind { blank, number, text, boolean, datetime, array, error };
  Kind kind = Kind::blank;
  double number = 0;   // number; boolean as 0/1; datetime as milliseconds since the epoch
  std::string text;    // text
  std::vector<FormulaValue> items;  // array (multiple selects, links, lookups)

  static FormulaValue blank() { return {}; }
  static FormulaValue error() { return {Kind::error, 0, {}, {}}; }
  static FormulaValue of_number(double n) { return {Kind::number, n, {}, {}}; }
  static FormulaValue of_text(std::string s) { return {Kind::text, 0, std::move(s), {}}; }
  static FormulaValue of_bool(bool b) { return {Kind::boolean, b ? 1.0 : 0.0, {}, {}}; }
  static FormulaValue of_time(AirtableTime t) {
    return {Kind::datetime, static_cast<double>(t.time_since_epoch().count()), {}, {}};
  }
};

// Returns whether Airtable keeps a record for this result: everything except 0, false, "",
// blank, NaN, an empty array and an error.
bool formula_truthy(const FormulaValue& v);

// Returns -1/0/+1 ordering two cell values the way a sort does (blanks first, then numbers,
// times, texts); used by `sort[]` and view sorts.
int compare_for_sort(const FormulaValue& a, const FormulaValue& b);

// What the evaluator needs from one record.
class FormulaRecord {
 public:
  virtual ~FormulaRecord() = default;
  // Returns the value of the field with this index (blank when empty).
  virtual FormulaValue field(std::size_t index) const = 0;
  // Returns the record id ("rec…").
  virtual std::string record_id() const = 0;
  // Returns the record's creation time.
  virtual AirtableTime created_time() const = 0;
  // Returns the last time any of `fields` changed (all fields when empty), or nullopt when none
  // of them ever held a value.
  virtual std::optional<AirtableTime> last_modified(std::span<const std::size_t> fields) const = 0;
};

// Resolves a field name (as written inside {…}) to its index, or nullopt for an unknown name.
class FieldResolver {
 public:
  virtual ~FieldResolver() = default;
  virtual std::optional<std::size_t> resolve(std::string_view name) const = 0;
};

struct FormulaNode;

// A parsed formula; cheap to copy (shared, immutable).
class Formula {
 public:
  // Returns the formula's value for `record`, with NOW() = `now`.
  FormulaValue evaluate(const FormulaRecord& record, AirtableTime now) const;
  const std::string& text() const { return m_text; }

 private:
  friend std::expected<Formula, std::string> parse_formula(std::string_view, const FieldResolver&);
  std::shared_ptr<const FormulaNode> m_root;
  std::string m_text;
};

// Parses the supported subset: {Field} and bare one-word field names, 'text' / "text" and number
// literals, = != <> > < >= <= &, parentheses, and the functions AND OR NOT IS_AFTER IS_BEFORE
// IS_SAME LAST_MODIFIED_TIME CREATED_TIME RECORD_ID TRUE FALSE BLANK NOW DATETIME_PARSE (names
// case-insensitive). Returns the formula, or the reason Airtable would give after
// "The formula for filtering records is invalid: " — "Unknown field names: x" for an unknown
// field, "Invalid formula. Please check your formula text." for anything else.
std::expected<Formula, std::string> parse_formula(std::string_view text, const FieldResolver& fields);

}  // namespace pinsync_sandbox
