#include "sandbox/airtable/control.h"

#include <Poco/Exception.h>

#include "sandbox/http/control_util.h"
#include "sandbox/http/error_envelope.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

Response AirtableControl::handle(const Request& req) {
  try {
    std::string_view rest = std::string_view(req.path).substr(prefix().size());
    if (rest == "/settings") {
      if (req.method == "GET") return Response{200, {}, m_api.settings_json()};
      if (req.method != "POST") return wrong_method(req, "GET, POST");
      auto body = control_body(req);
      if (!body) return body.error();
      auto done = m_api.apply_settings(**body);
      if (!done) return api_error(req, 400, "invalid_request", "Invalid Airtable setting: " + done.error());
      return Response{200, {}, *done};
    }
    if (rest == "/reset") {
      if (req.method != "POST") return wrong_method(req, "POST");
      m_api.reset();
      return Response{200, {}, R"({"reset":true})"};
    }
    // /{baseId}/{table}
    auto slash = rest.find('/', 1);
    if (rest.size() < 2 || rest[0] != '/' || slash == std::string_view::npos || slash + 1 >= rest.size() ||
        rest.find('/', slash + 1) != std::string_view::npos) {
      return api_error(req, 404, "not_found",
                       "No such Airtable control route; known: /_sandbox/airtable/{baseId}/{table}, "
                       "/_sandbox/airtable/settings, /_sandbox/airtable/reset");
    }
    std::string base_id(rest.substr(1, slash - 1));
    std::string table(rest.substr(slash + 1));
    if (req.method == "GET") {
      auto json = m_api.table_json(base_id, table);
      if (!json) return api_error(req, 404, "not_found", "No table " + table + " in base " + base_id + "; PUT it first");
      return Response{200, {}, *json};
    }
    if (req.method == "PATCH") {
      auto body = control_body(req);
      if (!body) return body.error();
      auto done = m_api.change_table_choices(base_id, table, **body);
      if (!done) {
        int status = done.error().starts_with("no table") ? 404 : 400;
        return api_error(req, status, status == 404 ? "not_found" : "invalid_request",
                         "Invalid Airtable choices change: " + done.error());
      }
      return Response{200, {}, *done};
    }
    if (req.method != "PUT") return wrong_method(req, "GET, PUT, PATCH");
    auto body = control_body(req);
    if (!body) return body.error();
    auto done = m_api.put_table(base_id, table, **body);
    if (!done) return api_error(req, 400, "invalid_request", "Invalid Airtable table body: " + done.error());
    return Response{200, {}, *done};
  } catch (const Poco::Exception& e) {
    // A value of an unexpected JSON type inside the body (Poco throws on conversion).
    return api_error(req, 400, "invalid_request", "Invalid Airtable control body: " + e.displayText());
  }
}

}  // namespace pinsync_sandbox
