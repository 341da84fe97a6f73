// Shared helpers of the Google emulation tests: one sandbox process for the binary (reset before
// each test), JSON access, the recorded samples, and a service account made in the test (RSA key
// pair from OpenSSL, key file JSON, RS256 assertion signed with Poco::JWT).
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <Poco/Crypto/Crypto.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/URI.h>

#include "tests/support/process.h"

namespace google_test {

using pinsync::test::http;
using pinsync::test::HttpReply;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Obj = Poco::JSON::Object::Ptr;
using Arr = Poco::JSON::Array::Ptr;

// The query parameter of the API key the sandbox accepts.
inline const std::string k_key = "key=sandbox-google-key";
inline constexpr const char* k_client_spec = "sandbox-client.apps.googleusercontent.com:client-secret-1:refresh-1";
inline constexpr const char* k_sa_email = "sync@pinsync-test.iam.gserviceaccount.com";
inline constexpr const char* k_sa_project = "pinsync-test";  // key files' project_id unless a test names another
inline constexpr const char* k_scope_rw = "https://www.googleapis.com/auth/spreadsheets";
inline constexpr const char* k_scope_ro = "https://www.googleapis.com/auth/spreadsheets.readonly";

// Returns the base URL of the binary-wide sandbox after resetting its Google state.
inline std::string fresh_sandbox() {
  static pinsync::test::SandboxProcess sandbox({"--google-oauth-client", k_client_spec, "--google-api-key", "extra-key"});
  HttpReply r = http(sandbox.base_url(), "POST", "/_sandbox/google/reset");
  REQUIRE(r.status == 200);
  return sandbox.base_url();
}

inline Poco::Dynamic::Var parse_any(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text);
}

inline Obj parse(const std::string& text) { return parse_any(text).extract<Obj>(); }

inline std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  if (v.type() == typeid(Obj)) {
    v.extract<Obj>()->stringify(os);
  } else if (v.type() == typeid(Arr)) {
    v.extract<Arr>()->stringify(os);
  } else {
    Poco::JSON::Stringifier::stringify(v, os);
  }
  return os.str();
}

// Compact JSON with sorted keys and 53 == 53.0, so structurally equal values compare equal.
inline std::string canon(const Poco::Dynamic::Var& v) { return stringify(parse_any(stringify(v))); }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline Poco::Dynamic::Var sample(const std::string& name) {
  return parse_any(read_text(std::string(PINSYNC_FIXTURES_DIR) + "/reference/samples/" + name));
}

inline HttpReply put_sheet(const std::string& base, const std::string& id, const std::string& body) {
  HttpReply r = http(base, "PUT", "/_sandbox/sheets/" + id, body);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r;
}

// Percent-encodes a range for the URL path, as clients do ('Sheet1'!A1 → %27Sheet1%27%21A1).
inline std::string enc(const std::string& range) {
  std::string out;
  Poco::URI::encode(range, "!'/?#[]@$&+,;= %:", out);
  return out;
}

inline Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

inline Obj error_of(const HttpReply& r) { return parse(r.body)->getObject("error"); }

// Checks Google's nested error envelope: code, status and the exact message.
inline void check_google_error(const HttpReply& r, int code, const std::string& status, const std::string& message) {
  CHECK(r.status == code);
  Obj err = error_of(r);
  REQUIRE_MESSAGE(err, r.body);
  CHECK(err->getValue<int>("code") == code);
  CHECK(err->getValue<std::string>("status") == status);
  CHECK(err->getValue<std::string>("message") == message);
}

// Checks the token endpoint's flat error body.
inline void check_oauth_error(const HttpReply& r, int code, const std::string& error, const std::string& description) {
  CHECK(r.status == code);
  Obj body = parse(r.body);
  CHECK(body->getValue<std::string>("error") == error);
  CHECK(body->getValue<std::string>("error_description") == description);
}

// An RSA key pair made with OpenSSL, its private key as the PKCS#8 PEM Google puts in key files.
inline std::string new_private_key_pem() {
  Poco::Crypto::initializeCrypto();
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

// Two keys for the whole binary: the account's own and a stranger's (for wrong signatures).
inline const std::string& account_key_pem() {
  static const std::string pem = new_private_key_pem();
  return pem;
}

inline const std::string& other_key_pem() {
  static const std::string pem = new_private_key_pem();
  return pem;
}

// Returns a service-account key file in Google's shape whose token_uri is the sandbox; without
// a project_id field when `project_id` is empty.
inline std::string key_file_json(const std::string& base, const std::string& email = k_sa_email,
                                 const std::string& pem = account_key_pem(),
                                 const std::string& project_id = k_sa_project) {
  Obj o = new Poco::JSON::Object;
  o->set("type", "service_account");
  if (!project_id.empty()) o->set("project_id", project_id);
  o->set("private_key_id", "0123456789abcdef");
  o->set("private_key", pem);
  o->set("client_email", email);
  o->set("client_id", "1234567890");
  o->set("auth_uri", "https://accounts.google.com/o/oauth2/auth");
  o->set("token_uri", base + "/token");
  o->set("universe_domain", "googleapis.com");
  return stringify(o);
}

inline void register_account(const std::string& base, const std::string& email = k_sa_email,
                             const std::string& project_id = k_sa_project) {
  HttpReply r = http(base, "POST", "/_sandbox/google/service-accounts",
                     key_file_json(base, email, account_key_pem(), project_id));
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

inline std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Claims {
  std::string iss = k_sa_email;
  std::string scope = k_scope_rw;
  std::string aud;  // empty: the sandbox's /token
  std::int64_t iat = now_seconds();
  std::int64_t exp = now_seconds() + 3600;
};

// Returns an RS256 assertion signed with `pem` (Poco::JWT), header {"alg","typ","kid"}.
inline std::string sign_assertion(const std::string& base, const Claims& c, const std::string& pem = account_key_pem()) {
  Poco::Crypto::initializeCrypto();
  std::istringstream private_stream(pem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(nullptr, &private_stream));
  Poco::JWT::Token token;
  token.setType("JWT");
  token.header().set("kid", std::string("0123456789abcdef"));
  token.payload().set("iss", c.iss);
  if (!c.scope.empty()) token.payload().set("scope", c.scope);
  token.payload().set("aud", c.aud.empty() ? base + "/token" : c.aud);
  token.payload().set("iat", static_cast<Poco::Int64>(c.iat));
  token.payload().set("exp", static_cast<Poco::Int64>(c.exp));
  Poco::JWT::Signer signer(key);
  return signer.sign(token, Poco::JWT::Signer::ALGO_RS256);
}

inline HttpReply post_form(const std::string& base, const std::string& form) {
  return http(base, "POST", "/token", form, {{"Content-Type", "application/x-www-form-urlencoded"}});
}

inline std::string form_value(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!'/?#[]@$&+,;=:% ", out);
  return out;
}

inline HttpReply exchange_assertion(const std::string& base, const std::string& assertion) {
  return post_form(base, "grant_type=" + form_value("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                             "&assertion=" + form_value(assertion));
}

// Returns an access token of the service account (registered on the way, in `project_id`).
inline std::string sa_token(const std::string& base, const Claims& c = {},
                            const std::string& project_id = k_sa_project) {
  register_account(base, c.iss, project_id);
  HttpReply r = exchange_assertion(base, sign_assertion(base, c));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return parse(r.body)->getValue<std::string>("access_token");
}

}  // namespace google_test
