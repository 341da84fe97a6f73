// The emulated Google OAuth 2.0 token endpoint, POST /token: the JWT-bearer grant of service
// accounts (RS256 assertion checked for signature, iss, aud, iat/exp, scope) and the
// refresh_token grant, answering with Google's token JSON or its flat error bodies
// (invalid_grant, invalid_client, invalid_scope, unsupported_grant_type, invalid_request).
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "sandbox/google/oauth_registry.h"
#include "sandbox/http/stats.h"
#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class GoogleOAuthApi final : public Service {
 public:
  // Both must outlive this object.
  GoogleOAuthApi(GoogleAuthRegistry& registry, RequestStats& stats) : m_registry(registry), m_stats(stats) {}

  std::string_view prefix() const override { return "/token"; }
  // Returns the token response or the OAuth error; counts the request in the stats.
  Response handle(const Request& request) override;

 private:
  Response route(const Request& req);
  Response jwt_bearer(const Request& req, std::string_view assertion);
  Response refresh(const Request& req, std::string_view client_id, std::string_view client_secret,
                   std::string_view refresh_token);

  GoogleAuthRegistry& m_registry;
  RequestStats& m_stats;
};

// Returns the space-separated scope list as a set (empty when `scope` is blank).
std::set<std::string> split_scopes(std::string_view scope);

}  // namespace pinsync_sandbox
