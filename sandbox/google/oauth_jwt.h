// RS256 JWT checking for the emulated Google token endpoint: base64url, splitting an assertion
// into header/claims/signature, and verifying its signature with the public half of a
// service account's private_key (OpenSSL). Nothing here throws.
#pragma once

#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

typedef struct evp_pkey_st EVP_PKEY;  // as <openssl/types.h> declares it

namespace pinsync_sandbox {

// The public key of one service-account key pair; cheap to copy, safe to share between threads.
class RsaPublicKey {
 public:
  // Returns the public key derived from a PEM private key (PKCS#8 "BEGIN PRIVATE KEY" or
  // PKCS#1 "BEGIN RSA PRIVATE KEY"), or why it could not be read.
  static std::expected<RsaPublicKey, std::string> from_private_pem(std::string_view pem);
  // Returns true when `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
  bool verify_rs256(std::string_view message, std::string_view signature) const;

 private:
  std::shared_ptr<EVP_PKEY> m_key;
};

// Returns the bytes of unpadded (or padded) base64url text, or nullopt when it is not base64url.
std::optional<std::string> base64url_decode(std::string_view text);

struct Jwt {
  Poco::JSON::Object::Ptr header;
  Poco::JSON::Object::Ptr claims;
  std::string signing_input;  // "<header>.<claims>" as sent
  std::string signature;      // raw bytes
};

// Returns the parts of a compact JWS, or nullopt when it is not three base64url parts whose
// first two are JSON objects.
std::optional<Jwt> parse_jwt(std::string_view compact);

}  // namespace pinsync_sandbox
