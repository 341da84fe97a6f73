#include "sandbox/google/drive.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>

#include <date/date.h>

#include "sandbox/google/auth.h"
#include "sandbox/google/field_mask.h"
#include "sandbox/google/json.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_files = "/drive/v3/files/";
constexpr std::string_view k_route = "/drive/v3/files/{fileId}";
constexpr std::string_view k_unmatched = "/drive/v3/(unmatched)";
constexpr std::string_view k_spreadsheet_mime = "application/vnd.google-apps.spreadsheet";
constexpr GoogleService k_drive{"drive.googleapis.com", "google.apps.drive.v3.DriveFiles.Get", true};

// The File fields the sandbox models, in the order it writes them; any other field of File in
// a mask is refused rather than silently left out.
constexpr std::array<std::string_view, 6> k_modelled = {"kind", "id", "name", "mimeType", "modifiedTime", "version"};
constexpr std::string_view k_default_fields = "kind,id,name,mimeType";

const std::set<std::string>& drive_scopes() {
  static const std::set<std::string> scopes = {
      "https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.readonly",
      "https://www.googleapis.com/auth/drive.metadata", "https://www.googleapis.com/auth/drive.metadata.readonly"};
  return scopes;
}

// How files.get treats a query parameter.
enum class Param {
  credential,    // key, access_token, oauth_token: read by authenticate_google
  passthrough,   // fields, prettyPrint, quotaUser: read elsewhere or without effect here
  boolean,       // supportsAllDrives…: must be true or false, no effect on a spreadsheet
  json_only,     // alt: json is the only answer emulated
  not_emulated,  // real parameters that change the answer in ways the sandbox does not model
};

struct ParamRule {
  std::string_view name;
  Param kind;
  std::string_view proto_name;  // for Google's "Invalid value at '…'" of a boolean
};

constexpr std::array<ParamRule, 12> k_params = {{
    {"key", Param::credential, ""},
    {"access_token", Param::credential, ""},
    {"oauth_token", Param::credential, ""},
    {"fields", Param::passthrough, ""},
    {"prettyPrint", Param::passthrough, ""},
    {"quotaUser", Param::passthrough, ""},
    {"alt", Param::json_only, ""},
    {"supportsAllDrives", Param::boolean, "supports_all_drives"},
    {"supportsTeamDrives", Param::boolean, "supports_team_drives"},
    {"acknowledgeAbuse", Param::boolean, "acknowledge_abuse"},
    {"includePermissionsForView", Param::not_emulated, ""},
    {"includeLabels", Param::not_emulated, ""},
}};

// Drive v3's own error shape: a legacy "errors" list and no "status".
Response drive_error(const Request& req, int code, std::string_view message, std::string_view reason,
                     std::string_view location) {
  JsonOut out;
  out.begin_object().key("error").begin_object().key("code").value(code).key("message").value(message);
  out.key("errors").begin_array().begin_object().key("message").value(message);
  out.key("domain").value("global").key("reason").value(reason);
  out.key("location").value(location).key("locationType").value("parameter");
  out.end_object().end_array().end_object().end_object();
  return google_json(req, out.take(), code);
}

Response file_not_found(const Request& req, std::string_view file_id) {
  return drive_error(req, 404, "File not found: " + std::string(file_id) + ".", "notFound", "fileId");
}

Response not_emulated(const Request& req, std::string_view what) {
  return google_error(req, 400, "INVALID_ARGUMENT", std::string(what) + " is not emulated by pinsync-sandbox");
}

// Returns nothing when every query parameter is one files.get takes with a valid value, else
// the first refusal: Google's "Cannot bind query parameter" for an unknown name.
std::expected<void, Response> check_params(const Request& req) {
  for (const auto& [name, value] : req.query_list) {
    auto rule = std::find_if(k_params.begin(), k_params.end(), [&](const ParamRule& r) { return r.name == name; });
    if (rule == k_params.end()) {
      std::string message = "Invalid JSON payload received. Unknown name \"" + name +
                            "\": Cannot bind query parameter. Field '" + name +
                            "' could not be found in request message.";
      JsonOut details;
      details.begin_array().begin_object().key("@type").value("type.googleapis.com/google.rpc.BadRequest");
      details.key("fieldViolations").begin_array().begin_object().key("description").value(message);
      details.end_object().end_array().end_object().end_array();
      return std::unexpected(google_error(req, 400, "INVALID_ARGUMENT", message, details.take()));
    }
    switch (rule->kind) {
      case Param::credential:
      case Param::passthrough:
        break;
      case Param::boolean:
        if (value != "true" && value != "false") {
          std::string quoted;
          append_json_string(quoted, value);
          return std::unexpected(google_invalid_value(req, rule->proto_name, "TYPE_BOOL", quoted));
        }
        break;
      case Param::json_only:
        if (value != "json") return std::unexpected(not_emulated(req, "alt=" + value));
        break;
      case Param::not_emulated:
        return std::unexpected(not_emulated(req, name));
    }
  }
  return {};
}

// Returns the mask of `fields` (the default fields when it is absent or empty), or the 400 for
// a path File lacks (Drive's "Invalid field selection") or a File field the sandbox does not model.
std::expected<FieldMask, Response> file_mask(const Request& req) {
  std::string text(k_default_fields);
  if (auto it = req.query.find("fields"); it != req.query.end() && !it->second.empty()) text = it->second;
  auto mask = parse_field_mask(text, GoogleMessage::drive_file);
  if (!mask) {
    return std::unexpected(
        drive_error(req, 400, "Invalid field selection " + mask.error(), "invalidParameter", "fields"));
  }
  auto modelled = [](std::string_view f) { return std::find(k_modelled.begin(), k_modelled.end(), f) != k_modelled.end(); };
  std::optional<std::string> unmodelled = mask->whole ? std::optional<std::string>("*") : std::nullopt;
  for (const auto& [field, sub] : mask->children) {
    if (!unmodelled && !modelled(field)) unmodelled = field;
  }
  if (unmodelled) {
    return std::unexpected(not_emulated(req, "fields: File." + *unmodelled +
                                                 " (the sandbox models kind, id, name, mimeType, modifiedTime, version)"));
  }
  return std::move(*mask);
}

// RFC 3339 in UTC with milliseconds, as Drive writes times: 2026-12-05T20:00:00.123Z.
std::string rfc3339_millis(std::chrono::system_clock::time_point t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(t));
}

}  // namespace

Response GoogleDriveApi::handle(const Request& req) {
  const auto handling = m_stats.handling();
  std::string_view path = req.path;
  std::string_view id;
  if (path.starts_with(k_files)) id = path.substr(k_files.size());
  bool matched = !id.empty() && id.find('/') == std::string_view::npos;
  Response res = matched ? route(req, id) : google_error(req, 404, "NOT_FOUND", "Method not found.");
  m_stats.record(req.method, matched ? k_route : k_unmatched, res.status);
  return res;
}

Response GoogleDriveApi::route(const Request& req, std::string_view file_id) {
  // files.update, files.delete… share the path; the sandbox has only files.get.
  if (req.method != "GET") return google_error(req, 404, "NOT_FOUND", "Method not found.");
  auto caller = authenticate_google(req, m_registry, CredentialUse::read, drive_scopes(), k_drive);
  if (!caller) return caller.error();
  if (auto params = check_params(req); !params) return params.error();
  auto mask = file_mask(req);
  if (!mask) return mask.error();
  // Drive hides what the caller may not see: unshared and unknown files are both "not found".
  auto access = m_store.access(file_id, caller->email);
  if (!access || *access == Access::none) return file_not_found(req, file_id);
  auto revision = m_store.revision(file_id, modified_lag());
  if (!revision) return file_not_found(req, file_id);  // removed since access() looked
  JsonOut out;
  out.begin_object().key("kind").value("drive#file").key("id").value(file_id);
  out.key("name").value(revision->title).key("mimeType").value(k_spreadsheet_mime);
  out.key("modifiedTime").value(rfc3339_millis(revision->modified));
  // An int64 field: a JSON string on the wire.
  out.key("version").value(std::to_string(revision->version)).end_object();
  return google_json(req, apply_field_mask(out.take(), *mask));
}

}  // namespace pinsync_sandbox
