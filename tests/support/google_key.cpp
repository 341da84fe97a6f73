#include "tests/support/google_key.h"

#include <sstream>

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/RSAKey.h>

#include "core/json_writer.h"

namespace pinsync::testing::google {

const TestKey& test_key() {
  static const TestKey key = [] {
    Poco::Crypto::RSAKey rsa(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
    // EVPPKey writes PKCS#8 ("BEGIN PRIVATE KEY"), the form Google's key files hold.
    Poco::Crypto::EVPPKey evp(&rsa);
    std::ostringstream pub;
    std::ostringstream priv;
    evp.save(&pub, &priv);
    return TestKey{priv.str(), pub.str()};
  }();
  return key;
}

std::filesystem::path write_key_file(const TempDir& dir, const std::string& email, const std::string& token_uri) {
  json::Writer w;
  w.begin_object()
      .key("type").value("service_account")
      .key("project_id").value("beta-project")
      .key("private_key_id").value("kid-1234")
      .key("private_key").value(test_key().private_pem)
      .key("client_email").value(email)
      .key("client_id").value("0987654321")
      .key("auth_uri").value("https://accounts.google.com/o/oauth2/auth")
      .key("token_uri").value(token_uri)
      .key("universe_domain").value("googleapis.com")
      .end_object();
  return dir.write("beta-sa.json", w.str());
}

}  // namespace pinsync::testing::google
