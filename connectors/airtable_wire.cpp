#include "connectors/airtable_wire.h"

#include <charconv>
#include <cstdint>

#include <date/date.h>

#include "core/http.h"
#include "core/log.h"

namespace pinsync::connectors {

namespace {

template <typename Number>
std::string number_text(Number n) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  if (ec != std::errc()) return {};
  return std::string(buf, end);
}

std::string string_member(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

// Objects appear as collaborators, attachments, barcodes, buttons and formula errors;
// the first member a person would recognise the value by wins.
std::string object_text(simdjson::dom::object obj) {
  if (obj["specialValue"].error() == simdjson::SUCCESS || obj["error"].error() == simdjson::SUCCESS) return {};
  for (const std::string_view key : {"name", "email", "text", "url", "label"}) {
    if (auto v = string_member(obj, key); !v.empty()) return v;
  }
  return {};
}

void collect(simdjson::dom::element value, std::vector<std::string>& out) {
  simdjson::dom::array arr;
  if (value.get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : arr) collect(item, out);
    return;
  }
  auto text = airtable_cell_text(value, ArrayJoin::join, "");
  if (!text.empty()) out.push_back(std::move(text));
}

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  const auto* first = text.data() + pos;
  const auto [ptr, ec] = std::from_chars(first, first + count, out);
  return ec == std::errc() && ptr == first + count;
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

}  // namespace

std::string airtable_cell_text(simdjson::dom::element value, ArrayJoin arrays, std::string_view separator) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return {};
      return std::string(s);
    }
    case simdjson::dom::element_type::INT64: {
      std::int64_t n = 0;
      if (value.get_int64().get(n) != simdjson::SUCCESS) return {};
      return number_text(n);
    }
    case simdjson::dom::element_type::UINT64: {
      std::uint64_t n = 0;
      if (value.get_uint64().get(n) != simdjson::SUCCESS) return {};
      return number_text(n);
    }
    case simdjson::dom::element_type::DOUBLE: {
      double d = 0;
      if (value.get_double().get(d) != simdjson::SUCCESS) return {};
      return number_text(d);
    }
    case simdjson::dom::element_type::BOOL: {
      bool b = false;
      if (value.get_bool().get(b) != simdjson::SUCCESS) return {};
      return b ? "true" : "";
    }
    case simdjson::dom::element_type::NULL_VALUE: return {};
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj;
      if (value.get_object().get(obj) != simdjson::SUCCESS) return {};
      return object_text(obj);
    }
    case simdjson::dom::element_type::ARRAY: {
      std::vector<std::string> parts;
      collect(value, parts);
      if (parts.empty()) return {};
      if (arrays == ArrayJoin::first) return parts.front();
      std::string out = parts.front();
      for (std::size_t i = 1; i < parts.size(); ++i) {
        out += separator;
        out += parts[i];
      }
      return out;
    }
  }
  return {};
}

std::string airtable_table_url(const AirtableSettings& settings) {
  std::string_view base = settings.base_url;
  while (base.ends_with('/')) base.remove_suffix(1);
  std::string url(base);
  url += "/v0/";
  url += http::url_encode(settings.base_id);
  url += '/';
  url += http::url_encode(settings.table);
  return url;
}

std::string airtable_list_url(const AirtableSettings& settings, std::string_view formula,
                              const std::vector<std::string>& fields, std::string_view offset) {
  std::string url = airtable_table_url(settings);
  url += "?pageSize=100";
  if (!settings.view.empty()) url += "&view=" + http::url_encode(settings.view);
  if (!formula.empty()) url += "&filterByFormula=" + http::url_encode(formula);
  for (const auto& f : fields) url += "&fields%5B%5D=" + http::url_encode(f);
  if (!offset.empty()) url += "&offset=" + http::url_encode(offset);
  return url;
}

std::string airtable_and(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out = "AND(";
  out += a;
  out += ", ";
  out += b;
  out += ')';
  return out;
}

std::string airtable_modified_since_formula(std::chrono::sys_seconds since) {
  // IS_AFTER is strict and LAST_MODIFIED_TIME() has whole seconds, so a record edited
  // in the cursor's own second is only caught by starting one second earlier. The
  // literal is compared as a date; DATETIME_PARSE is not needed for ISO text.
  return "IS_AFTER(LAST_MODIFIED_TIME(), '" + airtable_format_timestamp(since - std::chrono::seconds{1}) + "')";
}

Result<std::chrono::sys_seconds> airtable_parse_timestamp(std::string_view text) {
  const auto bad = [&] {
    return fail(ErrorKind::invalid,
                in_quotes(text) + " is not an Airtable timestamp (expected UTC like 2026-06-12T18:00:00.000Z)");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || !text.ends_with('Z'))
    return bad();
  if (!parse_digits(text, 0, 4, y) || !parse_digits(text, 5, 2, mo) || !parse_digits(text, 8, 2, d) ||
      !parse_digits(text, 11, 2, h) || !parse_digits(text, 14, 2, mi) || !parse_digits(text, 17, 2, s))
    return bad();
  const std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2) return bad();
    for (char c : rest.substr(1))
      if (c < '0' || c > '9') return bad();
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return bad();
  return date::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

std::string airtable_format_timestamp(std::chrono::sys_seconds instant) {
  return date::format("%FT%T.000Z", instant);
}

AirtableApiError airtable_parse_error(long status, std::string_view body) {
  AirtableApiError out;
  out.status = status;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return out;
  simdjson::dom::element error;
  std::string_view v;
  simdjson::dom::array errors;
  if (root["errors"].get_array().get(errors) == simdjson::SUCCESS) {
    // The 429 body quoted from the field: {"errors":[{"error":"RATE_LIMIT_REACHED","message":…}]}.
    for (simdjson::dom::element first : errors) {
      if (first["error"].get_string().get(v) == simdjson::SUCCESS) out.type = std::string(v);
      if (first["message"].get_string().get(v) == simdjson::SUCCESS) out.message = std::string(v);
      break;
    }
    return out;
  }
  if (root["error"].get(error) != simdjson::SUCCESS) return out;
  if (error.get_string().get(v) == simdjson::SUCCESS) {
    out.type = std::string(v);
    return out;
  }
  if (error["type"].get_string().get(v) == simdjson::SUCCESS) out.type = std::string(v);
  if (error["message"].get_string().get(v) == simdjson::SUCCESS) out.message = std::string(v);
  return out;
}

std::string airtable_source_name(const AirtableSettings& settings) {
  return "airtable " + settings.base_id + "/" + settings.table;
}

Error airtable_error(const AirtableSettings& settings, const AirtableApiError& api, AirtableOperation op,
                     std::string_view formula) {
  std::string answered = "Airtable answered " + std::to_string(api.status);
  if (!api.type.empty()) answered += " " + api.type;
  if (!api.message.empty()) answered += " (" + api.message + ")";
  const std::string& base = settings.base_id;
  const std::string table = in_quotes(settings.table);
  // The status gives the kind; some error types say more precisely what is wrong.
  Error e{http::error_kind_for(api.status, http::Refusal::bad_settings), "", std::nullopt};
  std::string fix;
  if (api.status == 401 || api.type == "AUTHENTICATION_REQUIRED") {
    e.kind = ErrorKind::auth;
    fix = "the token is missing or invalid: check the source's token (e.g. AIRTABLE_TOKEN), a personal access "
          "token starting with pat";
  } else if (api.status == 403 && op == AirtableOperation::write) {
    fix = "the token lacks data.records:write on base " + base + " (or write access to table " + table +
          "): give it that scope and base, or turn write_back off";
  } else if (api.status == 403) {
    fix = "the token cannot see base " + base + " or table " + table +
          ": check base_id and table, and give the token data.records:read (and data.records:write for "
          "write-back) on that base";
  } else if (api.type == "INVALID_FILTER_BY_FORMULA") {
    e.kind = ErrorKind::config;
    fix = "the formula " + in_quotes(formula) + " is wrong: fix the approval formula (field names in {braces}, "
          "strings in quotes)";
  } else if (api.type == "VIEW_NAME_NOT_FOUND" || api.type == "VIEW_ID_NOT_FOUND") {
    e.kind = ErrorKind::config;
    fix = "there is no view " + in_quotes(settings.view) + " in table " + table + ": check view";
  } else if (api.type == "UNKNOWN_FIELD_NAME") {
    e.kind = ErrorKind::config;
    fix = "a field the source names (mapping, approval or write_back columns) does not exist in table " + table +
          ": check the field names";
  } else if (api.type == "INVALID_VALUE_FOR_COLUMN" || api.type == "INVALID_MULTIPLE_CHOICE_OPTIONS") {
    e.kind = ErrorKind::config;
    fix = "a write_back field cannot take the value: make the write_back fields editable text fields";
  } else if (api.type == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE") {
    e.kind = ErrorKind::transient;
    fix = "the page cursor kept expiring while the table was read; the next pass reads it again";
  } else if (api.status == 404 || api.type == "TABLE_NOT_FOUND" || api.type == "NOT_FOUND") {
    e.kind = ErrorKind::not_found;
    fix = "there is no table " + table + " in base " + base + ": check table (name or tbl… id) and base_id";
  } else if (api.status == 429) {
    e.retry_after = settings.rate_limit_wait;
    fix = "base " + base + " is over its limit of 5 requests per second; waiting " +
          std::to_string(settings.rate_limit_wait.count()) + " s before trying again";
  } else if (api.status >= 500) {
    fix = "Airtable is having trouble; the next pass tries again";
  } else {
    fix = "the request was refused; check base_id, table, view and the field names";
  }
  e.message = redact(airtable_source_name(settings) + ": " + answered + ": " + fix, {settings.token});
  return e;
}

}  // namespace pinsync::connectors
