#include "sandbox/google/oauth_jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

std::expected<RsaPublicKey, std::string> RsaPublicKey::from_private_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return std::unexpected(std::string("out of memory"));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> priv(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                           &EVP_PKEY_free);
  if (!priv) return std::unexpected(std::string("private_key is not an unencrypted PEM private key"));
  if (EVP_PKEY_get_base_id(priv.get()) != EVP_PKEY_RSA) return std::unexpected(std::string("private_key is not an RSA key"));
  // Keep only the public half, as Google does once the key pair is created.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(priv.get(), &der);
  if (len <= 0) return std::unexpected(std::string("cannot derive the public key"));
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, len);
  OPENSSL_free(der);
  if (pub == nullptr) return std::unexpected(std::string("cannot derive the public key"));
  RsaPublicKey key;
  key.m_key = std::shared_ptr<EVP_PKEY>(pub, &EVP_PKEY_free);
  return key;
}

bool RsaPublicKey::verify_rs256(std::string_view message, std::string_view signature) const {
  if (!m_key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character is not valid base64
  return out;
}

std::optional<Jwt> parse_jwt(std::string_view compact) {
  auto dot1 = compact.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  auto dot2 = compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) return std::nullopt;
  auto header = base64url_decode(compact.substr(0, dot1));
  auto claims = base64url_decode(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(compact.substr(dot2 + 1));
  if (!header || !claims || !signature) return std::nullopt;
  auto h = parse_json_object(*header);
  auto c = parse_json_object(*claims);
  if (!h || !c) return std::nullopt;
  return Jwt{*h, *c, std::string(compact.substr(0, dot2)), std::move(*signature)};
}

}  // namespace pinsync_sandbox
