#include "core/datetime.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/utf8.h"
#include "core/text.h"

namespace pinsync {

namespace {

constexpr std::array<std::string_view, 12> k_month_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> k_weekday_names = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

// Spreadsheet serial day 0; Google Sheets and Excel (after 1900-03-01) agree on it.
constexpr date::sys_days k_serial_epoch = date::sys_days{date::year{1899} / 12 / 30};
constexpr long k_serial_max = 2958465;  // 9999-12-31

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
using text::is_space;
using text::trim;

std::string lower(std::string_view s) { return text::ascii_lower(s); }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Quotes a cell for a message; long cells are cut so a reason stays one readable line.
std::string quoted(std::string_view s) {
  constexpr std::size_t k_max = 60;
  std::string out = "\"";
  if (s.size() <= k_max) {
    out.append(s);
  } else {
    out.append(utf8::cut(s, k_max)).append("...");
  }
  out += '"';
  return out;
}

// Parses at most 9 digits so the value always fits; returns -1 otherwise.
long to_number(std::string_view digits) {
  if (!all_digits(digits) || digits.size() > 9) return -1;
  long value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

std::unexpected<Error> invalid(std::string message) {
  return fail(ErrorKind::invalid, std::move(message));
}

std::unexpected<Error> not_a_date(std::string_view text, std::string_view why = {}) {
  std::string msg = quoted(text) + " is not a date";
  if (!why.empty()) msg.append(" (").append(why).append(")");
  return invalid(std::move(msg));
}

std::string month_name(unsigned m) { return std::string(k_month_names[(m - 1) % 12]); }

// Builds a checked date; the reason names the month's length so the fix is obvious.
Result<date::year_month_day> make_date(std::string_view text, long y, long m, long d) {
  if (m < 1 || m > 12) return not_a_date(text, "there is no month " + std::to_string(m));
  if (y < 1 || y > 9999) return not_a_date(text);
  const date::year_month_day ymd{date::year{static_cast<int>(y)}, date::month{static_cast<unsigned>(m)},
                                 date::day{static_cast<unsigned>(d < 0 ? 0 : d)}};
  if (d < 1 || !ymd.ok()) {
    const auto last = date::year_month_day_last{ymd.year(), date::month_day_last{ymd.month()}};
    return not_a_date(text, month_name(static_cast<unsigned>(m)) + " " + std::to_string(y) + " has " +
                                std::to_string(static_cast<unsigned>(last.day())) + " days");
  }
  return ymd;
}

// Splits "46185.75" into whole days and the fraction; false when not a plain number.
bool split_serial(std::string_view s, std::string_view& whole, std::string_view& frac) {
  const auto dot = s.find('.');
  whole = s.substr(0, dot);
  frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  if (!all_digits(whole)) return false;
  return dot == std::string_view::npos || frac.empty() || all_digits(frac);
}

double fraction_value(std::string_view frac) {
  double value = 0;
  double scale = 0.1;
  for (char c : frac.substr(0, 12)) {
    value += (c - '0') * scale;
    scale /= 10;
  }
  return value;
}

Result<date::year_month_day> serial_date(std::string_view text, std::string_view whole) {
  const long n = to_number(whole);
  if (n < 1 || n > k_serial_max)
    return not_a_date(text, "a spreadsheet date serial must be between 1 and 2958465");
  return date::year_month_day{k_serial_epoch + date::days{n}};
}

int month_from_word(std::string_view w) {
  if (w == "sept") return 9;
  for (std::size_t i = 0; i < k_month_names.size(); ++i) {
    const std::string full = lower(k_month_names[i]);
    if (w == full || (w.size() == 3 && full.starts_with(w))) return static_cast<int>(i) + 1;
  }
  return 0;
}

int weekday_from_word(std::string_view w) {
  if (w == "tues") return 3;
  if (w == "thur" || w == "thurs") return 5;
  for (std::size_t i = 0; i < k_weekday_names.size(); ++i) {
    const std::string full = lower(k_weekday_names[i]);
    if (w == full || (w.size() == 3 && full.starts_with(w))) return static_cast<int>(i) + 1;
  }
  return 0;
}

// "June 12, 2026", "12 June 2026", "Jun 12 2026", "Fri, June 12, 2026", "12th Jun 2026".
Result<date::year_month_day> parse_written_date(std::string_view text) {
  int month = 0, weekday = 0;
  long day = -1, year = -1;
  int small_numbers = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_space(c) || c == ',' || c == '-' || c == '/' || c == '.') {
      ++i;
      continue;
    }
    std::size_t j = i;
    if (is_digit(c)) {
      while (j < text.size() && is_digit(text[j])) ++j;
      const std::string_view digits = text.substr(i, j - i);
      std::size_t k = j;
      while (k < text.size() && is_alpha(text[k])) ++k;
      const std::string suffix = lower(text.substr(j, k - j));
      if (!suffix.empty() && suffix != "st" && suffix != "nd" && suffix != "rd" && suffix != "th")
        return not_a_date(text);
      if (digits.size() == 4 && suffix.empty() && year < 0) {
        year = to_number(digits);
      } else if (digits.size() <= 2 && day < 0) {
        day = to_number(digits);
        ++small_numbers;
      } else if (digits.size() <= 2) {
        ++small_numbers;
      } else {
        return not_a_date(text);
      }
      i = k;
      continue;
    }
    if (!is_alpha(c)) return not_a_date(text);
    while (j < text.size() && is_alpha(text[j])) ++j;
    const std::string word = lower(text.substr(i, j - i));
    if (const int m = month_from_word(word); m != 0 && month == 0) {
      month = m;
    } else if (const int w = weekday_from_word(word); w != 0 && weekday == 0) {
      weekday = w;
    } else {
      return not_a_date(text);
    }
    i = j;
  }
  if (month == 0 || day < 0) return not_a_date(text);
  if (small_numbers > 1 && year < 0)
    return invalid(quoted(text) + " has a two-digit year: write the year with four digits");
  if (small_numbers > 1) return not_a_date(text);
  // Check the day before the year so "June 32" reads as the impossible date it is.
  const date::month_day md{date::month{static_cast<unsigned>(month)}, date::day{static_cast<unsigned>(day)}};
  if (day < 1 || !md.ok()) return not_a_date(text);
  if (year < 0) return invalid(quoted(text) + " has no year: write it as in \"June 12, 2026\"");
  auto ymd = make_date(text, year, month, day);
  if (!ymd) return ymd;
  if (weekday != 0) {
    const date::weekday actual{date::sys_days{*ymd}};
    if (actual.c_encoding() + 1 != static_cast<unsigned>(weekday)) {
      return invalid(quoted(text) + " says " + std::string(k_weekday_names[static_cast<std::size_t>(weekday - 1)]) +
                     " but " + month_name(static_cast<unsigned>(month)) + " " + std::to_string(day) + ", " +
                     std::to_string(year) + " is a " + std::string(k_weekday_names[actual.c_encoding()]));
    }
  }
  return ymd;
}

// 6/12/2026, 2026-06-12, 12.6.2026: three numbers with one kind of separator.
// Returns nullopt when the text is not of that shape, so written forms get their turn.
std::optional<Result<date::year_month_day>> parse_numeric_date(std::string_view text, DateOrder order) {
  std::array<std::string_view, 3> parts;
  std::size_t count = 0;
  char sep = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && is_digit(text[i])) continue;
    if (i < text.size() && text[i] != '/' && text[i] != '-' && text[i] != '.') return std::nullopt;
    if (i < text.size()) {
      if (sep != 0 && text[i] != sep) return std::nullopt;
      sep = text[i];
    }
    if (count == 3 || i == start) return std::nullopt;
    parts[count++] = text.substr(start, i - start);
    start = i + 1;
  }
  if (count != 3) return std::nullopt;
  const long a = to_number(parts[0]), b = to_number(parts[1]), c = to_number(parts[2]);
  if (parts[0].size() == 4) {
    if (parts[1].size() > 2 || parts[2].size() > 2) return not_a_date(text);
    return make_date(text, a, b, c);
  }
  if (parts[2].size() != 4) {
    if (parts[0].size() <= 2 && parts[1].size() <= 2 && parts[2].size() <= 2)
      return invalid(quoted(text) + " has a two-digit year: write the year with four digits");
    return not_a_date(text);
  }
  if (parts[0].size() > 2 || parts[1].size() > 2) return not_a_date(text);
  if (order == DateOrder::MDY) return make_date(text, c, a, b);
  if (order == DateOrder::DMY) return make_date(text, c, b, a);
  // No order (or a YMD order that this year-last text does not follow): read it only
  // when just one reading is a real date, never guess.
  if (a == b || (a <= 12 && b > 12)) return make_date(text, c, a, b);
  if (a > 12 && b <= 12) return make_date(text, c, b, a);
  if (a >= 1 && b >= 1 && a <= 12 && b <= 12) {
    return invalid(quoted(text) + " could be " + month_name(static_cast<unsigned>(a)) + " " + std::to_string(b) +
                   " or " + month_name(static_cast<unsigned>(b)) + " " + std::to_string(a) +
                   (order == DateOrder::YMD ? ": it does not follow date_order YMD; set date_order to MDY or DMY"
                                            : ": set date_order"));
  }
  return not_a_date(text);
}

// "+04:00", "-0400", "+05", "Z" at the end of an ISO date-time.
std::optional<std::chrono::seconds> parse_offset(std::string_view s) {
  if (s == "Z" || s == "z") return std::chrono::seconds{0};
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  std::string_view rest = s.substr(1);
  std::string_view hh = rest.substr(0, 2), mm;
  if (rest.size() == 5 && rest[2] == ':') mm = rest.substr(3);
  else if (rest.size() == 4) mm = rest.substr(2);
  else if (rest.size() != 2) return std::nullopt;
  const long h = to_number(hh);
  const long m = mm.empty() ? 0 : (mm.size() == 2 ? to_number(mm) : -1);
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  return std::chrono::seconds{sign * (h * 3600 + m * 60)};
}

void put_digits(std::string& out, long value, int width) {
  char buf[12];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 11);
  while (n < width) buf[n++] = '0';
  while (n > 0) out.push_back(buf[--n]);
}

// Hand-rolled rather than snprintf: it runs twice per row on the mapping hot path.
std::string format_local(date::local_seconds local, bool with_seconds, char separator) {
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const long secs = static_cast<long>((local - day).count());
  std::string out;
  out.reserve(26);
  put_digits(out, static_cast<int>(ymd.year()), 4);
  out.push_back('-');
  put_digits(out, static_cast<unsigned>(ymd.month()), 2);
  out.push_back('-');
  put_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out.push_back(separator);
  put_digits(out, secs / 3600, 2);
  out.push_back(':');
  put_digits(out, secs / 60 % 60, 2);
  if (with_seconds) {
    out.push_back(':');
    put_digits(out, secs % 60, 2);
  }
  return out;
}

std::string format_with_offset(date::local_seconds local, std::chrono::seconds offset) {
  std::string out = format_local(local, true, 'T');
  const long total = static_cast<long>(offset.count());
  const long minutes = (total < 0 ? -total : total) / 60;
  out.push_back(total < 0 ? '-' : '+');
  put_digits(out, minutes / 60 % 100, 2);
  out.push_back(':');
  put_digits(out, minutes % 60, 2);
  return out;
}

std::unexpected<Error> nonexistent(date::local_seconds local, const date::time_zone& zone) {
  return invalid(format_local(local, false, ' ') + " does not exist in " + std::string(zone.name()) +
                 " (clocks spring forward)");
}

}  // namespace

Result<date::year_month_day> parse_date(std::string_view text, DateOrder order) {
  const std::string_view t = trim(text);
  if (t.empty()) return invalid("the date is empty");
  if (std::string_view whole, frac; split_serial(t, whole, frac)) return serial_date(t, whole);
  if (auto numeric = parse_numeric_date(t, order)) return std::move(*numeric);
  return parse_written_date(t);
}

Result<std::chrono::minutes> parse_time(std::string_view text) {
  const std::string t = lower(trim(text));
  const auto not_a_time = [&] { return invalid(quoted(trim(text)) + " is not a time"); };
  if (t.empty()) return invalid("the time is empty");
  if (t == "noon") return std::chrono::minutes{12 * 60};
  if (t == "midnight") return std::chrono::minutes{0};
  if (t.starts_with('.') || t.starts_with("0.")) {
    const std::string_view frac = std::string_view(t).substr(t.find('.') + 1);
    if (!all_digits(frac)) return not_a_time();
    const long minutes = std::lround(fraction_value(frac) * 1440.0);
    if (minutes >= 1440) return not_a_time();
    return std::chrono::minutes{minutes};
  }
  std::size_t i = 0;
  const auto digits = [&](std::size_t max) {
    const std::size_t start = i;
    while (i < t.size() && is_digit(t[i]) && i - start < max) ++i;
    return std::string_view(t).substr(start, i - start);
  };
  const std::string_view hh = digits(2);
  if (hh.empty()) return not_a_time();
  std::string_view mm;
  bool marked = false;  // a ':' or 'h' says this number is a time, not a count
  if (i < t.size() && (t[i] == ':' || t[i] == 'h')) {
    marked = true;
    const char sep = t[i++];
    mm = digits(2);
    if (sep == ':' && mm.size() != 2) return not_a_time();
    if (sep == 'h' && !mm.empty() && mm.size() != 2) return not_a_time();
    if (sep == ':' && i < t.size() && t[i] == ':') {
      ++i;
      if (digits(2).size() != 2) return not_a_time();
      if (i < t.size() && t[i] == '.') {
        ++i;
        digits(9);
      }
    }
  }
  while (i < t.size() && t[i] == ' ') ++i;
  const std::string_view rest = std::string_view(t).substr(i);
  int meridiem = 0;  // 0 none, 1 am, 2 pm
  if (rest == "am" || rest == "a.m." || rest == "a.m") meridiem = 1;
  else if (rest == "pm" || rest == "p.m." || rest == "p.m") meridiem = 2;
  else if (!rest.empty()) return not_a_time();
  if (!marked && meridiem == 0) return not_a_time();
  long h = to_number(hh);
  const long m = mm.empty() ? 0 : to_number(mm);
  if (m > 59) return not_a_time();
  if (meridiem != 0) {
    if (h < 1 || h > 12) return not_a_time();
    h = (h % 12) + (meridiem == 2 ? 12 : 0);
  } else if (h > 23) {
    return not_a_time();
  }
  return std::chrono::minutes{h * 60 + m};
}

Result<DateTimeText> parse_date_time(std::string_view text, DateOrder order) {
  const std::string_view t = trim(text);
  if (t.empty()) return invalid("the date is empty");

  if (std::string_view whole, frac; split_serial(t, whole, frac)) {
    auto day = serial_date(t, whole);
    if (!day) return std::unexpected(day.error());
    const long minutes = std::lround(fraction_value(frac) * 1440.0);
    DateTimeText out{date::local_days{*day} + std::chrono::minutes{minutes}, minutes != 0, std::nullopt};
    return out;
  }

  // ISO 8601: the date is always the first ten characters.
  if (t.size() > 10 && is_digit(t[0]) && t[4] == '-' && (t[10] == 'T' || t[10] == 't' || t[10] == ' ')) {
    auto day = parse_date(t.substr(0, 10), DateOrder::YMD);
    if (!day) return std::unexpected(day.error());
    std::string_view rest = trim(t.substr(11));
    std::optional<std::chrono::seconds> offset;
    if (const auto pos = rest.find_last_of("+-Zz"); pos != std::string_view::npos) {
      offset = parse_offset(rest.substr(pos));
      if (!offset) return invalid(quoted(t) + " has an unreadable UTC offset");
      rest = trim(rest.substr(0, pos));
    }
    auto time = parse_time(rest);
    if (!time) return invalid(quoted(t) + " is not a date and time: " + time.error().message);
    return DateTimeText{date::local_days{*day} + *time, true, offset};
  }

  auto whole_date = parse_date(t, order);
  if (whole_date) return DateTimeText{date::local_days{*whole_date}, false, std::nullopt};

  // "6/12/2026 8:00 PM", "June 12, 2026 at 8pm": the time is the last one to three words.
  std::vector<std::size_t> word_starts;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (!is_space(t[i]) && (i == 0 || is_space(t[i - 1]))) word_starts.push_back(i);
  std::optional<Error> date_error;
  for (std::size_t k = 1; k <= 3 && k < word_starts.size(); ++k) {
    const std::size_t cut = word_starts[word_starts.size() - k];
    auto time = parse_time(t.substr(cut));
    if (!time) continue;
    std::string_view head = trim(t.substr(0, cut));
    if (head.ends_with(',')) head = trim(head.substr(0, head.size() - 1));
    if (lower(head).ends_with(" at")) head = trim(head.substr(0, head.size() - 3));
    auto day = parse_date(head, order);
    if (day) return DateTimeText{date::local_days{*day} + *time, true, std::nullopt};
    if (!date_error) date_error = day.error();
  }
  return std::unexpected(date_error ? *date_error : whole_date.error());
}

Result<const date::time_zone*> find_zone(std::string_view name) {
  const std::string_view t = trim(name);
  if (t.empty()) return invalid("no time zone given: use an IANA name such as America/New_York");
  try {
    return date::locate_zone(std::string(t));
  } catch (const std::exception&) {
    return invalid("unknown time zone " + quoted(t) + ": use an IANA name such as America/New_York");
  }
}

bool is_valid_zone(std::string_view name) { return find_zone(name).has_value(); }

Result<date::sys_seconds> to_instant(date::local_seconds local, const date::time_zone& zone) {
  const date::local_info info = zone.get_info(local);
  if (info.result == date::local_info::nonexistent) return nonexistent(local, zone);
  // Unique and ambiguous alike take `first`: for a fall-back hour that is the earlier instant.
  return date::sys_seconds{local.time_since_epoch() - info.first.offset};
}

Result<std::string> to_iso_with_offset(date::local_seconds local, const date::time_zone& zone) {
  auto instant = to_instant(local, zone);
  if (!instant) return std::unexpected(instant.error());
  return format_with_offset(local, local.time_since_epoch() - instant->time_since_epoch());
}

Result<std::string> to_iso_with_offset(date::local_seconds local, std::string_view zone) {
  auto z = find_zone(zone);
  if (!z) return std::unexpected(z.error());
  return to_iso_with_offset(local, **z);
}

std::string format_in_zone(date::sys_seconds instant, const date::time_zone& zone) {
  const date::sys_info info = zone.get_info(instant);
  return format_with_offset(date::local_seconds{instant.time_since_epoch() + info.offset}, info.offset);
}

Result<date::sys_seconds> ZoneClock::to_instant(date::local_seconds local) {
  // Two days clear of the cached period's edges no transition can reach the wall time
  // (the largest offset jump on record is 24 hours), so the cached offset is the answer.
  constexpr std::chrono::seconds k_margin = date::days{2};
  if (m_info) {
    const date::sys_seconds candidate{local.time_since_epoch() - m_info->offset};
    if (m_info->begin <= candidate - k_margin && candidate + k_margin < m_info->end) return candidate;
  }
  const date::local_info info = m_zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return nonexistent(local, *m_zone);
  if (info.result == date::local_info::unique) m_info = info.first;
  return date::sys_seconds{local.time_since_epoch() - info.first.offset};
}

const date::sys_info& ZoneClock::info_for(date::sys_seconds instant) {
  if (!m_info || instant < m_info->begin || instant >= m_info->end) m_info = m_zone->get_info(instant);
  return *m_info;
}

std::string ZoneClock::format(date::sys_seconds instant) {
  const std::chrono::seconds offset = info_for(instant).offset;
  return format_with_offset(date::local_seconds{instant.time_since_epoch() + offset}, offset);
}

date::local_seconds ZoneClock::to_local(date::sys_seconds instant) {
  return date::local_seconds{instant.time_since_epoch() + info_for(instant).offset};
}

std::string format_utc(std::int64_t unix_seconds) {
  return date::format("%FT%TZ", date::sys_seconds{std::chrono::seconds{unix_seconds}});
}

std::string_view time_zone_rules_version() {
  static const std::string version = [] {
    const std::filesystem::path file = "/usr/share/zoneinfo/tzdata.zi";
    std::ifstream in(file);
    std::string first;
    constexpr std::string_view k_prefix = "# version ";
    if (in && std::getline(in, first) && first.starts_with(k_prefix) && first.size() > k_prefix.size()) {
      return first.substr(k_prefix.size());
    }
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    const auto changed = std::filesystem::last_write_time(file, error);
    if (!error) return "size " + std::to_string(size) + " changed " + std::to_string(changed.time_since_epoch().count());
    // No way to tell releases apart: a value of this process alone, so nothing settled on
    // the rules of an earlier run is taken for settled on these.
    return "unknown, process started " +
           std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + " pid " +
           std::to_string(::getpid());
  }();
  return version;
}

}  // namespace pinsync
