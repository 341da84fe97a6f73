#include "sandbox/google/json.h"

#include <algorithm>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

std::string google_pretty(std::string_view compact) {
  std::string out;
  out.reserve(compact.size() * 2 + compact.size() / 2);
  int depth = 0;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  };
  auto structural = [](char ch) {
    return ch == ',' || ch == ':' || ch == '{' || ch == '}' || ch == '[' || ch == ']' || ch == '"';
  };
  const std::size_t n = compact.size();
  std::size_t i = 0;
  while (i < n) {
    char c = compact[i];
    switch (c) {
      case '"': {
        // Copy the whole string literal at once (a 100,000-row read is mostly strings).
        std::size_t end = i + 1;
        while (end < n && compact[end] != '"') end += compact[end] == '\\' ? 2 : 1;
        end = std::min(end + 1, n);
        out.append(compact.substr(i, end - i));
        i = end;
        continue;
      }
      case '{':
      case '[':
        out += c;
        if (i + 1 < n && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out += compact[++i];
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ": ";
        break;
      default: {
        // Numbers and literals: copy up to the next structural character.
        std::size_t end = i + 1;
        while (end < n && !structural(compact[end])) ++end;
        out.append(compact.substr(i, end - i));
        i = end;
        continue;
      }
    }
    ++i;
  }
  out += '\n';
  return out;
}

Response google_json(const Request& req, std::string compact, int status) {
  Response r;
  r.status = status;
  r.content_type = std::string(k_google_content_type);
  auto pretty = req.query.find("prettyPrint");
  bool compact_wanted = pretty != req.query.end() && (pretty->second == "false" || pretty->second == "False");
  r.body = compact_wanted ? std::move(compact) : google_pretty(compact);
  return r;
}

Response google_error(const Request& req, int code, std::string_view status_name, std::string_view message,
                      std::string_view details_json) {
  JsonOut out;
  out.begin_object().key("error").begin_object();
  out.key("code").value(code).key("message").value(message).key("status").value(status_name);
  if (!details_json.empty()) out.key("details").raw(details_json);
  out.end_object().end_object();
  return google_json(req, out.take(), code);
}

Response google_invalid_value(const Request& req, std::string_view field, std::string_view type,
                              std::string_view value_json) {
  std::string message = "Invalid value at '" + std::string(field) + "' (" + std::string(type) + "), " +
                        std::string(value_json);
  JsonOut details;
  details.begin_array().begin_object();
  details.key("@type").value("type.googleapis.com/google.rpc.BadRequest");
  details.key("fieldViolations").begin_array().begin_object();
  details.key("field").value(field).key("description").value(message);
  details.end_object().end_array().end_object().end_array();
  return google_error(req, 400, "INVALID_ARGUMENT", message, details.take());
}

Response google_field_mask_error(const Request& req, std::string_view mask, std::string_view path) {
  JsonOut details;
  details.begin_array().begin_object();
  details.key("@type").value("type.googleapis.com/google.rpc.BadRequest");
  details.key("fieldViolations").begin_array().begin_object();
  details.key("field").value(mask);
  details.key("description")
      .value("Error expanding 'fields' parameter. Cannot find matching fields for path '" + std::string(path) + "'.");
  details.end_object().end_array().end_object().end_array();
  return google_error(req, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.", details.take());
}

Response oauth_error(const Request& req, int status, std::string_view error, std::string_view description) {
  JsonOut out;
  out.begin_object().key("error").value(error).key("error_description").value(description).end_object();
  return google_json(req, out.take(), status);
}

}  // namespace pinsync_sandbox
