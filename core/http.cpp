#include "core/http.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <date/date.h>

namespace pinsync::http {

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](unsigned char c) { return c >= '0' && c <= '9'; });
}

// Reads `count` digits at `at`; false when any is not a digit.
bool digits_at(std::string_view s, std::size_t at, std::size_t count, int& value) {
  if (at + count > s.size() || !all_digits(s.substr(at, count))) return false;
  value = 0;
  for (const char c : s.substr(at, count)) value = value * 10 + (c - '0');
  return true;
}

std::chrono::seconds delta_seconds(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  // Nine digits hold more than the cap and fit any integer: longer is past the cap.
  if (digits.size() > 9) return k_max_retry_after;
  long long seconds = 0;
  for (const char c : digits) seconds = seconds * 10 + (c - '0');
  return std::min(std::chrono::seconds{seconds}, k_max_retry_after);
}

// IMF-fixdate, the one date form RFC 9110 lets senders use: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::sys_seconds> imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> k_days = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
      s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::ranges::find(k_days, s.substr(0, 3)) == k_days.end()) return std::nullopt;
  const auto month = std::ranges::find(k_months, s.substr(8, 3));
  if (month == k_months.end()) return std::nullopt;
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!digits_at(s, 5, 2, day) || !digits_at(s, 12, 4, year) || !digits_at(s, 17, 2, hour) ||
      !digits_at(s, 20, 2, minute) || !digits_at(s, 23, 2, second)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{year},
                                 date::month{static_cast<unsigned>(month - k_months.begin() + 1)},
                                 date::day{static_cast<unsigned>(day)}};
  // 60: the leap second the grammar allows.
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return date::sys_days{ymd} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

}  // namespace

std::optional<std::string_view> Response::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> Response::retry_after(std::chrono::system_clock::time_point now) const {
  const auto value = header("retry-after");
  if (!value) return std::nullopt;
  const std::string_view text = trim_spaces(*value);
  if (all_digits(text)) return delta_seconds(text);
  const auto at = imf_fixdate(text);
  if (!at) return std::nullopt;
  if (*at <= now) return std::chrono::seconds{0};
  return std::min(std::chrono::ceil<std::chrono::seconds>(*at - now), k_max_retry_after);
}

ErrorKind error_kind_for(long status, Refusal refusal) {
  if (status >= 200 && status < 300) return ErrorKind::internal;
  if (status == 401 || status == 403) return ErrorKind::auth;
  if (status == 404) return ErrorKind::not_found;
  if (status == 408) return ErrorKind::timeout;
  if (status == 409) return ErrorKind::conflict;
  if (status == 429) return ErrorKind::rate_limited;
  if (status >= 500) return ErrorKind::transient;
  return refusal == Refusal::bad_settings ? ErrorKind::config : ErrorKind::invalid;
}

std::string url_encode(std::string_view value) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(k_hex[c >> 4]);
      out.push_back(k_hex[c & 15]);
    }
  }
  return out;
}

}  // namespace pinsync::http
