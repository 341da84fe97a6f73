// tests/support/secrets.txt, the list scripts/secrets_scan.sh looks for, names the secrets
// the sandbox really accepts by default: if the sandbox's defaults change, this fails
// instead of the scan silently looking for stale values.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/support/process.h"

namespace {

// LABEL → VALUE of every `fixed` line.
std::map<std::string, std::string> listed_secrets() {
  std::ifstream in(std::string(PINSYNC_SOURCE_DIR) + "/tests/support/secrets.txt");
  REQUIRE(in.good());
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind, label, value;
    if (!(words >> kind >> label >> value) || kind != "fixed") continue;
    out[label] = value;
  }
  return out;
}

}  // namespace

TEST_CASE("secrets list: the sandbox's default Pinned key, Airtable token and Google API key are listed") {
  const auto secrets = listed_secrets();
  REQUIRE(secrets.contains("pinned-default-key"));
  REQUIRE(secrets.contains("airtable-default-token"));
  REQUIRE(secrets.contains("google-default-api-key"));
  pinsync::test::SandboxProcess sandbox;
  const auto base = sandbox.base_url();
  using pinsync::test::http;
  CHECK(http(base, "GET", "/api/public/v1/channels", "",
             {{"Authorization", "Bearer " + secrets.at("pinned-default-key")}})
            .status == 200);
  CHECK(http(base, "GET", "/api/public/v1/channels", "", {{"Authorization", "Bearer not-listed"}}).status == 401);
  // Known credentials get past authentication to "no such base/sheet"; unknown ones do not.
  CHECK(http(base, "GET", "/v0/appA1b2C3d4E5f6G7/Events", "",
             {{"Authorization", "Bearer " + secrets.at("airtable-default-token")}})
            .status != 401);
  CHECK(http(base, "GET", "/v0/appA1b2C3d4E5f6G7/Events", "", {{"Authorization", "Bearer patNotListed"}}).status ==
        401);
  CHECK(http(base, "GET", "/v4/spreadsheets/no-such-sheet?key=" + secrets.at("google-default-api-key")).status == 404);
  CHECK(http(base, "GET", "/v4/spreadsheets/no-such-sheet?key=not-listed").status == 400);
  // Every value is long enough not to match ordinary words by chance.
  for (const auto& [label, value] : secrets) CHECK_MESSAGE(value.size() >= 4, label);
}
