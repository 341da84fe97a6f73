#include "sandbox/airtable/formula.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include <date/date.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

struct FormulaNode {
  enum class Kind { literal, field, call, binary };
  Kind kind = Kind::literal;
  FormulaValue literal;
  std::size_t field = 0;
  std::string name;  // upper-case function name, or the operator
  std::vector<FormulaNode> args;
};

std::string number_text(double n) {
  if (std::isnan(n)) return "NaN";
  if (n == std::trunc(n) && std::fabs(n) < 9.0e15) return std::to_string(static_cast<long long>(n));
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, res.ptr);
}

namespace {

constexpr std::string_view k_invalid = "Invalid formula. Please check your formula text.";
// Deeper nesting is refused: the parser and evaluator recurse, and the formula comes from the
// query string of an untrusted client.
constexpr int k_max_depth = 48;

std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<date::sys_days> parse_day(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (!y || !m || !d) return std::nullopt;
  date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*m)}, date::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days(ymd);
}

std::string to_text(const FormulaValue& v) {
  switch (v.kind) {
    case FormulaValue::Kind::blank: return "";
    case FormulaValue::Kind::number: return number_text(v.number);
    case FormulaValue::Kind::boolean: return v.number != 0 ? "1" : "0";
    case FormulaValue::Kind::text: return v.text;
    case FormulaValue::Kind::datetime:
      return format_airtable_time(AirtableTime(std::chrono::milliseconds(static_cast<long long>(v.number))));
    case FormulaValue::Kind::array: {
      std::string out;
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += to_text(v.items[i]);
      }
      return out;
    }
    case FormulaValue::Kind::error: return "#ERROR!";
  }
  return "";
}

// Returns the instant a value denotes: nullopt for blank, error kind when it cannot be one.
std::expected<std::optional<double>, bool> to_time_ms(const FormulaValue& v) {
  if (v.kind == FormulaValue::Kind::blank) return std::optional<double>();
  if (v.kind == FormulaValue::Kind::datetime) return std::optional<double>(v.number);
  if (v.kind == FormulaValue::Kind::text) {
    if (v.text.empty()) return std::optional<double>();
    if (auto t = parse_airtable_time(v.text)) return std::optional<double>(static_cast<double>(t->time_since_epoch().count()));
  }
  return std::unexpected(false);
}

std::optional<double> text_as_number(std::string_view s) {
  double d = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

bool numeric_kind(const FormulaValue& v) {
  return v.kind == FormulaValue::Kind::number || v.kind == FormulaValue::Kind::boolean;
}

FormulaValue compare(std::string_view op, const FormulaValue& a, const FormulaValue& b) {
  using K = FormulaValue::Kind;
  if (a.kind == K::error || b.kind == K::error) return FormulaValue::error();
  int order = 0;  // -1 a<b, 0 equal, +1 a>b
  if (a.kind == K::datetime || b.kind == K::datetime) {
    auto ta = to_time_ms(a);
    auto tb = to_time_ms(b);
    if (!ta || !tb) return FormulaValue::error();
    if (!*ta || !*tb) {
      bool both_blank = !*ta && !*tb;
      if (op == "=") return FormulaValue::of_bool(both_blank);
      if (op == "!=" || op == "<>") return FormulaValue::of_bool(!both_blank);
      return FormulaValue::of_bool(false);
    }
    order = **ta < **tb ? -1 : (**ta > **tb ? 1 : 0);
  } else {
    std::optional<double> na, nb;
    auto as_num = [](const FormulaValue& v, const FormulaValue& other) -> std::optional<double> {
      if (numeric_kind(v)) return v.number;
      if (v.kind == K::blank && (numeric_kind(other) || other.kind == K::blank)) return 0.0;
      if (v.kind == K::text && numeric_kind(other)) return text_as_number(v.text);
      return std::nullopt;
    };
    na = as_num(a, b);
    nb = as_num(b, a);
    if (na && nb) {
      order = *na < *nb ? -1 : (*na > *nb ? 1 : 0);
    } else {
      std::string sa = to_text(a), sb = to_text(b);
      order = sa < sb ? -1 : (sa > sb ? 1 : 0);
    }
  }
  if (op == "=") return FormulaValue::of_bool(order == 0);
  if (op == "!=" || op == "<>") return FormulaValue::of_bool(order != 0);
  if (op == "<") return FormulaValue::of_bool(order < 0);
  if (op == ">") return FormulaValue::of_bool(order > 0);
  if (op == "<=") return FormulaValue::of_bool(order <= 0);
  return FormulaValue::of_bool(order >= 0);  // ">="
}

std::optional<long long> truncate_ms(double ms, std::string unit) {
  unit = ascii_lower(unit);
  if (!unit.empty() && unit.back() == 's') unit.pop_back();
  namespace chr = std::chrono;
  auto t = chr::sys_time<chr::milliseconds>(chr::milliseconds(static_cast<long long>(ms)));
  auto ms_of = [](auto tp) { return chr::time_point_cast<chr::milliseconds>(tp).time_since_epoch().count(); };
  if (unit == "millisecond" || unit.empty()) return ms_of(t);
  if (unit == "second") return ms_of(chr::floor<chr::seconds>(t));
  if (unit == "minute") return ms_of(chr::floor<chr::minutes>(t));
  if (unit == "hour") return ms_of(chr::floor<chr::hours>(t));
  if (unit == "day") return ms_of(chr::floor<date::days>(t));
  if (unit == "month" || unit == "year") {
    date::year_month_day ymd{chr::floor<date::days>(t)};
    date::year_month_day first = unit == "month" ? ymd.year() / ymd.month() / date::day{1}
                                                 : ymd.year() / date::January / date::day{1};
    return ms_of(date::sys_days(first));
  }
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(const FormulaRecord& record, AirtableTime now) : m_record(record), m_now(now) {}

  FormulaValue eval(const FormulaNode& n) const {
    switch (n.kind) {
      case FormulaNode::Kind::literal: return n.literal;
      case FormulaNode::Kind::field: return m_record.field(n.field);
      case FormulaNode::Kind::binary: {
        FormulaValue a = eval(n.args[0]);
        FormulaValue b = eval(n.args[1]);
        if (n.name == "&") {
          if (a.kind == FormulaValue::Kind::error || b.kind == FormulaValue::Kind::error) return FormulaValue::error();
          return FormulaValue::of_text(to_text(a) + to_text(b));
        }
        return compare(n.name, a, b);
      }
      case FormulaNode::Kind::call: return call(n);
    }
    return FormulaValue::error();
  }

 private:
  FormulaValue call(const FormulaNode& n) const {
    const std::string& f = n.name;
    if (f == "AND" || f == "OR") {
      bool is_and = f == "AND";
      for (const FormulaNode& arg : n.args) {
        FormulaValue v = eval(arg);
        if (v.kind == FormulaValue::Kind::error) return v;
        if (formula_truthy(v) != is_and) return FormulaValue::of_bool(!is_and);
      }
      return FormulaValue::of_bool(is_and);
    }
    if (f == "NOT") {
      FormulaValue v = eval(n.args[0]);
      if (v.kind == FormulaValue::Kind::error) return v;
      return FormulaValue::of_bool(!formula_truthy(v));
    }
    if (f == "TRUE") return FormulaValue::of_bool(true);
    if (f == "FALSE") return FormulaValue::of_bool(false);
    if (f == "BLANK") return FormulaValue::blank();
    if (f == "RECORD_ID") return FormulaValue::of_text(m_record.record_id());
    if (f == "CREATED_TIME") return FormulaValue::of_time(m_record.created_time());
    if (f == "NOW") return FormulaValue::of_time(m_now);
    if (f == "LAST_MODIFIED_TIME") {
      std::vector<std::size_t> fields;
      for (const FormulaNode& arg : n.args) fields.push_back(arg.field);
      auto t = m_record.last_modified(fields);
      return t ? FormulaValue::of_time(*t) : FormulaValue::blank();
    }
    if (f == "DATETIME_PARSE") {
      auto t = to_time_ms(eval(n.args[0]));
      if (!t) return FormulaValue::error();
      if (!*t) return FormulaValue::blank();
      FormulaValue v;
      v.kind = FormulaValue::Kind::datetime;
      v.number = **t;
      return v;
    }
    // IS_AFTER, IS_BEFORE, IS_SAME
    auto ta = to_time_ms(eval(n.args[0]));
    auto tb = to_time_ms(eval(n.args[1]));
    if (!ta || !tb) return FormulaValue::error();
    if (!*ta || !*tb) return FormulaValue::of_bool(false);
    if (f == "IS_AFTER") return FormulaValue::of_bool(**ta > **tb);
    if (f == "IS_BEFORE") return FormulaValue::of_bool(**ta < **tb);
    std::string unit;
    if (n.args.size() == 3) {
      FormulaValue u = eval(n.args[2]);
      if (u.kind != FormulaValue::Kind::text) return FormulaValue::error();
      unit = u.text;
    }
    auto a = truncate_ms(**ta, unit);
    auto b = truncate_ms(**tb, unit);
    if (!a || !b) return FormulaValue::error();
    return FormulaValue::of_bool(*a == *b);
  }

  const FormulaRecord& m_record;
  AirtableTime m_now;
};

struct Arity {
  const char* name;
  std::size_t min;
  std::size_t max;
};

constexpr Arity k_functions[] = {
    {"AND", 1, 255},       {"OR", 1, 255},           {"NOT", 1, 1},        {"IS_AFTER", 2, 2},
    {"IS_BEFORE", 2, 2},   {"IS_SAME", 2, 3},        {"TRUE", 0, 0},       {"FALSE", 0, 0},
    {"BLANK", 0, 0},       {"RECORD_ID", 0, 0},      {"CREATED_TIME", 0, 0}, {"NOW", 0, 0},
    {"LAST_MODIFIED_TIME", 0, 255}, {"DATETIME_PARSE", 1, 3},
};

class Parser {
 public:
  Parser(std::string_view text, const FieldResolver& fields) : m_s(text), m_fields(fields) {}

  std::expected<FormulaNode, std::string> parse() {
    auto root = expression(0);
    skip_space();
    if (!root || m_pos != m_s.size()) return std::unexpected(std::string(k_invalid));
    if (!m_unknown.empty()) {
      std::string names;
      for (const std::string& name : m_unknown) names += (names.empty() ? "" : ", ") + name;
      return std::unexpected("Unknown field names: " + names);
    }
    return std::move(*root);
  }

 private:
  using Node = std::optional<FormulaNode>;

  void skip_space() {
    while (m_pos < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_pos]))) ++m_pos;
  }
  bool eat(std::string_view token) {
    skip_space();
    if (m_s.substr(m_pos, token.size()) != token) return false;
    m_pos += token.size();
    return true;
  }

  Node expression(int depth) {
    if (depth > k_max_depth) return std::nullopt;
    Node left = concat(depth);
    int chained = 0;
    while (left) {
      // A chain builds a left-deep tree; bound it like parentheses.
      if (++chained > k_max_depth) return std::nullopt;
      std::string op;
      for (std::string_view candidate : {"!=", "<>", "<=", ">=", "=", "<", ">"}) {
        if (eat(candidate)) {
          op = candidate;
          break;
        }
      }
      if (op.empty()) break;
      Node right = concat(depth);
      if (!right) return std::nullopt;
      left = binary(op, std::move(*left), std::move(*right));
    }
    return left;
  }

  Node concat(int depth) {
    Node left = primary(depth);
    int chained = 0;
    while (left && eat("&")) {
      if (++chained > k_max_depth) return std::nullopt;
      Node right = primary(depth);
      if (!right) return std::nullopt;
      left = binary("&", std::move(*left), std::move(*right));
    }
    return left;
  }

  static FormulaNode binary(std::string op, FormulaNode a, FormulaNode b) {
    FormulaNode n;
    n.kind = FormulaNode::Kind::binary;
    n.name = std::move(op);
    n.args.push_back(std::move(a));
    n.args.push_back(std::move(b));
    return n;
  }

  Node field_node(std::string name) {
    FormulaNode n;
    n.kind = FormulaNode::Kind::field;
    if (auto index = m_fields.resolve(name)) {
      n.field = *index;
    } else {
      m_unknown.insert(std::move(name));
    }
    return n;
  }

  Node primary(int depth) {
    skip_space();
    if (m_pos >= m_s.size()) return std::nullopt;
    char c = m_s[m_pos];
    if (c == '(') {
      ++m_pos;
      Node inner = expression(depth + 1);
      if (!inner || !eat(")")) return std::nullopt;
      return inner;
    }
    if (c == '{') {
      auto close = m_s.find('}', m_pos);
      if (close == std::string_view::npos) return std::nullopt;
      std::string name(m_s.substr(m_pos + 1, close - m_pos - 1));
      m_pos = close + 1;
      return field_node(std::move(name));
    }
    if (c == '\'' || c == '"') return string_literal(c);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
        (c == '-' && m_pos + 1 < m_s.size() && std::isdigit(static_cast<unsigned char>(m_s[m_pos + 1])))) {
      std::size_t start = m_pos++;
      while (m_pos < m_s.size() && (std::isdigit(static_cast<unsigned char>(m_s[m_pos])) || m_s[m_pos] == '.')) ++m_pos;
      auto n = text_as_number(m_s.substr(start, m_pos - start));
      if (!n) return std::nullopt;
      FormulaNode node;
      node.literal = FormulaValue::of_number(*n);
      return node;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t start = m_pos;
      while (m_pos < m_s.size() && (std::isalnum(static_cast<unsigned char>(m_s[m_pos])) || m_s[m_pos] == '_')) ++m_pos;
      std::string word(m_s.substr(start, m_pos - start));
      skip_space();
      if (m_pos < m_s.size() && m_s[m_pos] == '(') {
        ++m_pos;
        return call(std::move(word), depth);
      }
      return field_node(std::move(word));
    }
    return std::nullopt;
  }

  Node string_literal(char quote) {
    ++m_pos;
    std::string value;
    while (m_pos < m_s.size() && m_s[m_pos] != quote) {
      if (m_s[m_pos] == '\\' && m_pos + 1 < m_s.size()) ++m_pos;
      value += m_s[m_pos++];
    }
    if (m_pos >= m_s.size()) return std::nullopt;
    ++m_pos;
    FormulaNode n;
    n.literal = FormulaValue::of_text(std::move(value));
    return n;
  }

  Node call(std::string word, int depth) {
    std::string upper = word;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
    const Arity* arity = nullptr;
    for (const Arity& a : k_functions) {
      if (upper == a.name) arity = &a;
    }
    if (!arity) return std::nullopt;
    FormulaNode n;
    n.kind = FormulaNode::Kind::call;
    n.name = upper;
    if (!eat(")")) {
      do {
        Node arg = expression(depth + 1);
        if (!arg) return std::nullopt;
        n.args.push_back(std::move(*arg));
      } while (eat(","));
      if (!eat(")")) return std::nullopt;
    }
    if (n.args.size() < arity->min || n.args.size() > arity->max) return std::nullopt;
    if (upper == "LAST_MODIFIED_TIME") {
      for (const FormulaNode& arg : n.args) {
        if (arg.kind != FormulaNode::Kind::field) return std::nullopt;
      }
    }
    return n;
  }

  std::string_view m_s;
  const FieldResolver& m_fields;
  std::size_t m_pos = 0;
  std::set<std::string> m_unknown;
};

}  // namespace

std::string format_airtable_time(AirtableTime t) {
  auto day = std::chrono::floor<date::days>(t);
  date::year_month_day ymd{day};
  date::hh_mm_ss<std::chrono::milliseconds> tod{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.000Z", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
  return buf;
}

std::string format_airtable_date(AirtableTime t) {
  date::year_month_day ymd{std::chrono::floor<date::days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

bool is_date_only(std::string_view text) { return text.size() == 10 && parse_day(text).has_value(); }

std::optional<AirtableTime> parse_airtable_time(std::string_view s) {
  auto day = parse_day(s);
  if (!day) return std::nullopt;
  AirtableTime t = std::chrono::time_point_cast<std::chrono::milliseconds>(*day);
  if (s.size() == 10) return t;
  if ((s[10] != 'T' && s[10] != ' ') || s.size() < 16 || s[13] != ':') return std::nullopt;
  auto hh = digits(s, 11, 2), mm = digits(s, 14, 2);
  if (!hh || !mm || *hh > 23 || *mm > 59) return std::nullopt;
  std::size_t pos = 16;
  int ss = 0, ms = 0;
  if (pos < s.size() && s[pos] == ':') {
    auto sec = digits(s, pos + 1, 2);
    if (!sec || *sec > 59) return std::nullopt;
    ss = *sec;
    pos += 3;
    if (pos < s.size() && s[pos] == '.') {
      std::size_t start = ++pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
      if (pos == start) return std::nullopt;
      std::string frac(s.substr(start, std::min<std::size_t>(pos - start, 3)));
      frac.resize(3, '0');
      ms = std::stoi(frac);
    }
  }
  int offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int sign = s[pos] == '-' ? -1 : 1;
      auto oh = digits(s, pos + 1, 2);
      std::size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      auto om = digits(s, mpos, 2);
      if (!oh || !om || *oh > 23 || *om > 59 || mpos + 2 != s.size()) return std::nullopt;
      offset_minutes = sign * (*oh * 60 + *om);
      pos = s.size();
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  t += std::chrono::hours(*hh) + std::chrono::minutes(*mm) + std::chrono::seconds(ss) + std::chrono::milliseconds(ms);
  return t - std::chrono::minutes(offset_minutes);
}

bool formula_truthy(const FormulaValue& v) {
  switch (v.kind) {
    case FormulaValue::Kind::blank:
    case FormulaValue::Kind::error: return false;
    case FormulaValue::Kind::number:
    case FormulaValue::Kind::boolean: return v.number != 0 && !std::isnan(v.number);
    case FormulaValue::Kind::text: return !v.text.empty();
    case FormulaValue::Kind::datetime: return true;
    case FormulaValue::Kind::array: return !v.items.empty();
  }
  return false;
}

int compare_for_sort(const FormulaValue& a, const FormulaValue& b) {
  auto rank = [](const FormulaValue& v) {
    switch (v.kind) {
      case FormulaValue::Kind::blank: return 0;
      case FormulaValue::Kind::number:
      case FormulaValue::Kind::boolean: return 1;
      case FormulaValue::Kind::datetime: return 2;
      default: return 3;
    }
  };
  int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra == 1 || ra == 2) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  std::string sa = to_text(a), sb = to_text(b);
  std::string la = ascii_lower(sa), lb = ascii_lower(sb);
  if (la != lb) return la < lb ? -1 : 1;
  return sa < sb ? -1 : (sa > sb ? 1 : 0);
}

FormulaValue Formula::evaluate(const FormulaRecord& record, AirtableTime now) const {
  if (!m_root) return FormulaValue::error();
  return Evaluator(record, now).eval(*m_root);
}

std::expected<Formula, std::string> parse_formula(std::string_view text, const FieldResolver& fields) {
  auto root = Parser(text, fields).parse();
  if (!root) return std::unexpected(root.error());
  Formula f;
  f.m_root = std::make_shared<const FormulaNode>(std::move(*root));
  f.m_text = std::string(text);
  return f;
}

}  // namespace pinsync_sandbox
