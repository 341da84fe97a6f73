// Google's credential checks, shared by the emulated Sheets and Drive APIs: an API key
// (`key=` or X-Goog-Api-Key), a bearer token from the token endpoint (Authorization,
// `access_token=` or `oauth_token=`) and its scopes, with the 400/401/403 bodies Google gives.
#pragma once

#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "sandbox/google/oauth_registry.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

// Who made a request, once its credentials are accepted.
struct GoogleCaller {
  std::optional<std::string> email;  // nullopt: an API key alone (anyone with the link)
  std::string quota_key;             // the user, for Sheets' per-user read quota
  std::string project;               // whose per-project quotas the caller uses
};

// What a method asks of its credentials.
enum class CredentialUse {
  read,   // an API key alone will do (public files only)
  write,  // a token asserting a principal is required
};

// The API answering, as its errors name it.
struct GoogleService {
  std::string_view name;  // "sheets.googleapis.com", in the ErrorInfo of API_KEY_INVALID
  // The RPC an insufficient-scope 403 names in its ErrorInfo
  // ("google.apps.drive.v3.DriveFiles.Get"); empty: the 403 carries no details.
  std::string_view scope_method;
  // When true the insufficient-scope 403 also has Drive's legacy "errors" list.
  bool legacy_errors = false;
};

// Checks the request's credentials for `use`. Returns the caller when they are accepted and
// the token carries one of `scopes`; otherwise Google's answer: 400 API_KEY_INVALID for an
// unknown key, 401 UNAUTHENTICATED for a malformed Authorization, an unknown or expired token,
// or a write without a principal, 403 PERMISSION_DENIED for a read without credentials
// ("The request is missing a valid API key.") or a token without a fitting scope.
std::expected<GoogleCaller, Response> authenticate_google(const Request& req, const GoogleAuthRegistry& registry,
                                                          CredentialUse use, const std::set<std::string>& scopes,
                                                          const GoogleService& service);

}  // namespace pinsync_sandbox
