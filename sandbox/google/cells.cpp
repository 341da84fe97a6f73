#include "sandbox/google/cells.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <date/date.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::array<std::string_view, 8> k_error_literals = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!",
                                                              "#NAME?", "#NUM!",   "#N/A",    "#ERROR!"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string json_text_of(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// A plain decimal number as Sheets recognises it: optional sign, digits with an optional
// fraction, optional exponent. No "inf"/"nan"/hex, which from_chars alone would take.
std::optional<double> parse_plain_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !(is_digit(s[0]) || (s[0] == '.' && s.size() > 1 && is_digit(s[1])))) return std::nullopt;
  for (char c : s) {
    if (!(is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return std::nullopt;
  }
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return negative ? -v : v;
}

// Arithmetic-only formula evaluation: numbers, + - * / ^, parentheses, unary signs.
class Arithmetic {
 public:
  explicit Arithmetic(std::string_view text) : m_s(text) {}
  std::optional<double> run() {
    auto v = sum();
    skip();
    if (!v || m_pos != m_s.size()) return std::nullopt;
    return v;
  }
  bool divided_by_zero() const { return m_div0; }

 private:
  void skip() {
    while (m_pos < m_s.size() && m_s[m_pos] == ' ') ++m_pos;
  }
  bool eat(char c) {
    skip();
    if (m_pos < m_s.size() && m_s[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }
  std::optional<double> sum() {
    auto v = product();
    while (v) {
      if (eat('+')) {
        auto r = product();
        if (!r) return std::nullopt;
        *v += *r;
      } else if (eat('-')) {
        auto r = product();
        if (!r) return std::nullopt;
        *v -= *r;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<double> product() {
    auto v = power();
    while (v) {
      if (eat('*')) {
        auto r = power();
        if (!r) return std::nullopt;
        *v *= *r;
      } else if (eat('/')) {
        auto r = power();
        if (!r) return std::nullopt;
        if (*r == 0) m_div0 = true;
        *v = *r == 0 ? 0 : *v / *r;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<double> power() {
    auto v = unary();
    if (v && eat('^')) {
      auto r = power();
      if (!r) return std::nullopt;
      return std::pow(*v, *r);
    }
    return v;
  }
  std::optional<double> unary() {
    if (eat('-')) {
      auto v = unary();
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    if (eat('+')) return unary();
    if (eat('(')) {
      auto v = sum();
      if (!v || !eat(')')) return std::nullopt;
      return v;
    }
    skip();
    std::size_t start = m_pos;
    while (m_pos < m_s.size() && (is_digit(m_s[m_pos]) || m_s[m_pos] == '.')) ++m_pos;
    return parse_plain_number(m_s.substr(start, m_pos - start));
  }

  std::string_view m_s;
  std::size_t m_pos = 0;
  bool m_div0 = false;
};

struct ClockTime {
  int seconds = 0;  // since midnight
  TimeStyle style = TimeStyle::h24;
  bool has_seconds = false;
  bool duration = false;  // 24 hours or more ("25:00"): a duration, not a time of day
};

// "20:00", "20:00:15", "8:00 PM", "8:00:15pm"; "25:00" and up (two digits) is a duration.
std::optional<ClockTime> parse_clock(std::string_view s) {
  ClockTime t;
  std::size_t i = 0;
  auto number = [&](std::size_t max_digits) -> std::optional<int> {
    std::size_t start = i;
    int v = 0;
    while (i < s.size() && is_digit(s[i]) && i - start < max_digits) v = v * 10 + (s[i++] - '0');
    if (i == start) return std::nullopt;
    return v;
  };
  auto h = number(2);
  if (!h || i >= s.size() || s[i] != ':') return std::nullopt;
  ++i;
  std::size_t minute_start = i;
  auto m = number(2);
  if (!m || i - minute_start != 2 || *m > 59) return std::nullopt;
  int sec = 0;
  if (i < s.size() && s[i] == ':') {
    ++i;
    std::size_t sec_start = i;
    auto sv = number(2);
    if (!sv || i - sec_start != 2 || *sv > 59) return std::nullopt;
    sec = *sv;
    t.has_seconds = true;
  }
  std::string_view rest = trim(s.substr(i));
  int hour = *h;
  if (rest.empty()) {
    if (hour > 23) t.duration = true;
  } else if (iequals(rest, "AM") || iequals(rest, "PM")) {
    if (hour < 1 || hour > 12) return std::nullopt;
    t.style = TimeStyle::h12;
    hour = hour % 12 + (iequals(rest, "PM") ? 12 : 0);
  } else {
    return std::nullopt;
  }
  t.seconds = hour * 3600 + *m * 60 + sec;
  return t;
}

struct CalendarDate {
  int year = 0;
  unsigned month = 0, day = 0;
  DateStyle style = DateStyle::iso;
};

// "2026-06-12" or "6/12/2026" (en-US month first).
std::optional<CalendarDate> parse_calendar(std::string_view s) {
  CalendarDate d;
  int parts[3] = {0, 0, 0};
  std::size_t lengths[3] = {0, 0, 0};
  char sep = 0;
  int index = 0;
  for (char c : s) {
    if (is_digit(c)) {
      if (++lengths[index] > 4) return std::nullopt;
      parts[index] = parts[index] * 10 + (c - '0');
    } else if ((c == '-' || c == '/') && index < 2 && lengths[index] > 0 && (sep == 0 || sep == c)) {
      sep = c;
      ++index;
    } else {
      return std::nullopt;
    }
  }
  if (index == 1 && sep == '/' && lengths[0] <= 2 && lengths[1] > 0 && lengths[1] <= 2) {
    // "6/12": month and day of the current year.
    auto today = date::year_month_day(date::floor<date::days>(std::chrono::system_clock::now()));
    return CalendarDate{static_cast<int>(today.year()), static_cast<unsigned>(parts[0]), static_cast<unsigned>(parts[1]),
                        DateStyle::us_month_day};
  }
  if (index != 2 || lengths[2] == 0) return std::nullopt;
  if (sep == '-') {
    if (lengths[0] != 4 || lengths[1] > 2 || lengths[2] > 2) return std::nullopt;
    d = {parts[0], static_cast<unsigned>(parts[1]), static_cast<unsigned>(parts[2]), DateStyle::iso};
  } else {
    if (lengths[0] > 2 || lengths[1] > 2 || lengths[2] != 4) return std::nullopt;
    d = {parts[2], static_cast<unsigned>(parts[0]), static_cast<unsigned>(parts[1]), DateStyle::us};
  }
  return d;
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string format_serial(const Cell& cell) {
  double serial = cell.number;
  auto whole = static_cast<long long>(std::floor(serial));
  auto secs = std::llround((serial - static_cast<double>(whole)) * 86400.0);
  if (secs >= 86400) {
    ++whole;
    secs -= 86400;
  }
  std::string date_text;
  if (cell.format != CellFormat::time) {
    auto day = date::sys_days{date::year{1899} / 12 / 30} + date::days{whole};
    date::year_month_day ymd{day};
    int y = static_cast<int>(ymd.year());
    auto m = static_cast<int>(static_cast<unsigned>(ymd.month()));
    auto d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    date_text = cell.date_style == DateStyle::iso           ? std::to_string(y) + "-" + two(m) + "-" + two(d)
                : cell.date_style == DateStyle::us_month_day ? std::to_string(m) + "/" + std::to_string(d)
                                                              : std::to_string(m) + "/" + std::to_string(d) + "/" + std::to_string(y);
    if (cell.format == CellFormat::date) return date_text;
  }
  int h = static_cast<int>(secs / 3600), mi = static_cast<int>(secs / 60 % 60), s = static_cast<int>(secs % 60);
  std::string time_text;
  if (cell.time_style == TimeStyle::h12) {
    int h12 = h % 12 == 0 ? 12 : h % 12;
    time_text = std::to_string(h12) + ":" + two(mi) + (cell.time_seconds ? ":" + two(s) : "") + (h < 12 ? " AM" : " PM");
  } else {
    time_text = std::to_string(h) + ":" + two(mi) + ":" + two(s);
  }
  return date_text.empty() ? time_text : date_text + " " + time_text;
}

std::string with_grouping(std::string_view digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string display_text(const Cell& cell) {
  char buf[64];
  switch (cell.format) {
    case CellFormat::general:
      return format_general_number(cell.number);
    case CellFormat::percent:
      std::snprintf(buf, sizeof buf, "%.*f%%", cell.decimals, cell.number * 100.0);
      return buf;
    case CellFormat::currency: {
      std::snprintf(buf, sizeof buf, "%.2f", std::fabs(cell.number));
      std::string text = buf;
      auto dot = text.find('.');
      text = with_grouping(text.substr(0, dot)) + text.substr(dot);
      return (cell.number < 0 ? "-$" : "$") + text;
    }
    case CellFormat::grouped: {
      std::snprintf(buf, sizeof buf, "%.*f", cell.decimals, std::fabs(cell.number));
      std::string text = buf;
      auto dot = text.find('.');
      std::string out = cell.number < 0 ? "-" : "";
      out += with_grouping(text.substr(0, dot));
      if (dot != std::string::npos) out += text.substr(dot);
      return out;
    }
    case CellFormat::duration: {
      auto secs = std::llround(cell.number * 86400.0);
      std::snprintf(buf, sizeof buf, "%lld:%02d:%02d", secs / 3600, static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
      return buf;
    }
    case CellFormat::date:
    case CellFormat::time:
    case CellFormat::date_time:
      return format_serial(cell);
  }
  return format_general_number(cell.number);
}

Cell error_cell(std::string_view literal) {
  Cell c;
  c.kind = CellKind::error;
  c.text = std::string(literal);
  return c;
}

Cell formula_cell(std::string_view typed) {
  Cell c;
  Arithmetic eval(typed.substr(1));
  auto v = eval.run();
  if (v && eval.divided_by_zero()) {
    c = error_cell("#DIV/0!");
  } else if (v && std::isfinite(*v)) {
    c = cell_from_number(*v);
  } else {
    // Functions and cell references are beyond this emulator; an error value is the honest answer.
    c = error_cell("#ERROR!");
  }
  c.formula = std::string(typed);
  return c;
}

// "1,234", "-12,345.50": digits grouped by thousands, an optional fraction.
std::optional<Cell> grouped_number_cell(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view body = negative ? s.substr(1) : s;
  auto dot = body.find('.');
  std::string_view whole = body.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? std::string_view() : body.substr(dot + 1);
  auto first_comma = whole.find(',');
  if (first_comma == std::string_view::npos || first_comma == 0 || first_comma > 3) return std::nullopt;
  std::string digits;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    bool comma_place = i >= first_comma && (i - first_comma) % 4 == 0;
    if (comma_place != (whole[i] == ',')) return std::nullopt;
    if (!comma_place) {
      if (!is_digit(whole[i])) return std::nullopt;
      digits += whole[i];
    }
  }
  if ((whole.size() - first_comma) % 4 != 0) return std::nullopt;
  if (dot != std::string_view::npos && (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), is_digit))) {
    return std::nullopt;
  }
  double n = std::strtod((digits + (fraction.empty() ? "" : "." + std::string(fraction))).c_str(), nullptr);
  Cell c = cell_from_number(negative ? -n : n);
  c.format = CellFormat::grouped;
  c.decimals = static_cast<int>(fraction.size());
  return c;
}

std::optional<Cell> number_cell(std::string_view s) {
  if (auto n = parse_plain_number(s)) return cell_from_number(*n);
  if (auto g = grouped_number_cell(s)) return g;
  if (s.size() > 1 && s.back() == '%') {
    std::string_view digits = s.substr(0, s.size() - 1);
    if (auto n = parse_plain_number(digits)) {
      Cell c = cell_from_number(*n / 100.0);
      c.format = CellFormat::percent;
      auto dot = digits.find('.');
      c.decimals = dot == std::string_view::npos ? 0 : static_cast<int>(digits.size() - dot - 1);
      return c;
    }
  }
  bool negative = !s.empty() && s[0] == '-';
  std::string_view body = negative ? s.substr(1) : s;
  if (body.size() > 1 && body[0] == '$') {
    if (auto n = parse_plain_number(body.substr(1)); n && body[1] != '-' && body[1] != '+') {
      Cell c = cell_from_number(negative ? -*n : *n);
      c.format = CellFormat::currency;
      return c;
    }
  }
  return std::nullopt;
}

std::optional<Cell> date_time_cell(std::string_view s) {
  if (auto t = parse_clock(s)) {
    Cell c = cell_from_number(t->seconds / 86400.0);
    if (t->duration) {
      c.format = CellFormat::duration;
      return c;
    }
    c.format = CellFormat::time;
    c.time_style = t->style;
    c.time_seconds = t->has_seconds;
    return c;
  }
  auto space = s.find(' ');
  auto d = parse_calendar(s.substr(0, space));
  if (!d) return std::nullopt;
  auto serial = date_to_serial(d->year, d->month, d->day);
  if (!serial) return std::nullopt;
  Cell c = cell_from_number(*serial);
  c.format = CellFormat::date;
  c.date_style = d->style;
  if (space != std::string_view::npos) {
    auto t = parse_clock(trim(s.substr(space + 1)));
    if (!t || t->duration) return std::nullopt;
    c.number += t->seconds / 86400.0;
    c.format = CellFormat::date_time;
    c.time_style = t->style;
    c.time_seconds = t->has_seconds;
  }
  return c;
}

}  // namespace

std::optional<double> date_to_serial(int year, unsigned month, unsigned day) {
  date::year_month_day ymd{date::year{year}, date::month{month}, date::day{day}};
  if (!ymd.ok()) return std::nullopt;
  auto days = (date::sys_days{ymd} - date::sys_days{date::year{1899} / 12 / 30}).count();
  return static_cast<double>(days);
}

std::string format_general_number(double n) {
  if (n == 0) return "0";
  char buf[64];
  double magnitude = std::fabs(n);
  if (magnitude >= 1e15 || magnitude < 1e-9) {
    std::snprintf(buf, sizeof buf, "%.2E", n);
    std::string text = buf;  // "1.00E+20" → "1E+20", as Sheets shows it
    auto e = text.find('E');
    std::string mantissa = text.substr(0, e);
    while (mantissa.back() == '0') mantissa.pop_back();
    if (mantissa.back() == '.') mantissa.pop_back();
    std::string exponent = text.substr(e + 2);
    while (exponent.size() > 2 && exponent[0] == '0') exponent.erase(0, 1);
    return mantissa + "E" + text[e + 1] + exponent;
  }
  // Round away binary noise first (0.1+0.2), then show at most 10 decimals.
  std::snprintf(buf, sizeof buf, "%.15g", n);
  double clean = std::strtod(buf, nullptr);
  std::snprintf(buf, sizeof buf, "%.10f", clean);
  std::string text = buf;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

Cell cell_from_number(double n) {
  Cell c;
  c.kind = CellKind::number;
  c.number = n;
  JsonOut out;
  out.value(n);
  c.entered_json = out.take();
  return c;
}

Cell cell_from_bool(bool b) {
  Cell c;
  c.kind = CellKind::boolean;
  c.boolean = b;
  c.entered_json = b ? "true" : "false";
  return c;
}

Cell cell_from_raw_text(std::string_view text) {
  Cell c;
  if (text.empty()) return c;
  c.kind = CellKind::text;
  c.text = std::string(text);
  c.entered_json = json_text_of(text);
  return c;
}

Cell cell_from_user_entered(std::string_view typed) {
  if (typed.empty()) return Cell{};
  Cell c;
  std::string_view s = trim(typed);
  if (typed[0] == '\'') {
    // A leading apostrophe forces text in the Sheets UI and is not part of the value.
    c = cell_from_raw_text(typed.substr(1));
  } else if (typed[0] == '=' && typed.size() > 1) {
    c = formula_cell(typed);
  } else if (auto lit = std::find(k_error_literals.begin(), k_error_literals.end(), s); lit != k_error_literals.end()) {
    c = error_cell(*lit);
  } else if (iequals(s, "TRUE") || iequals(s, "FALSE")) {
    c = cell_from_bool(iequals(s, "TRUE"));
  } else if (auto n = number_cell(s)) {
    c = *n;
  } else if (auto d = date_time_cell(s)) {
    c = *d;
  } else {
    c = cell_from_raw_text(typed);
  }
  c.entered_json = json_text_of(typed);
  return c;
}

void render_cell(JsonOut& out, const Cell& cell, ValueRender value_render, DateRender date_render) {
  if (!cell.formula.empty() && value_render == ValueRender::formula) {
    out.value(cell.formula);
    return;
  }
  switch (cell.kind) {
    case CellKind::empty:
      out.value("");
      return;
    case CellKind::text:
    case CellKind::error:
      out.value(cell.text);
      return;
    case CellKind::boolean:
      if (value_render == ValueRender::formatted) {
        out.value(cell.boolean ? "TRUE" : "FALSE");
      } else {
        out.value(cell.boolean);
      }
      return;
    case CellKind::number: {
      bool is_date = cell.format == CellFormat::date || cell.format == CellFormat::time ||
                     cell.format == CellFormat::date_time || cell.format == CellFormat::duration;
      if (value_render == ValueRender::formatted || (is_date && date_render == DateRender::formatted_string)) {
        out.value(display_text(cell));
      } else {
        out.value(cell.number);
      }
      return;
    }
  }
}

}  // namespace pinsync_sandbox
