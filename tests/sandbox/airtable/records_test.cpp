// Conformance of the record routes a partner's own scripts use: create (POST, replaying the
// recorded exchange), replace (PUT) and delete (DELETE, replaying the recorded answer), each at
// most 10 records and all or nothing.
#include <fstream>
#include <sstream>

#include <Poco/JSON/Stringifier.h>

#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

Poco::Dynamic::Var sample(const std::string& name) {
  std::ifstream in(std::string(PINSYNC_FIXTURES_DIR) + "/reference/samples/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  Poco::JSON::Parser parser;
  return parser.parse(text.str());
}

Obj recorded(const std::string& method) {
  Arr exchanges = sample("airtable_write_exchanges.json").extract<Arr>();
  for (unsigned i = 0; i < exchanges->size(); ++i) {
    if (exchanges->getObject(i)->getValue<std::string>("method") == method) return exchanges->getObject(i);
  }
  FAIL("no recorded " << method);
  return nullptr;
}

std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream os;
  Poco::JSON::Stringifier::stringify(v, os);
  return os.str();
}

HttpReply write(const std::string& base, const std::string& method, const std::string& body,
                const std::string& token = k_token, const std::string& record = "") {
  return http(base, method, "/v0/" + k_base + "/Submissions" + (record.empty() ? "" : "/" + record), body, bearer(token));
}

std::vector<std::string> ids_of(const std::string& base) {
  std::vector<std::string> ids;
  Arr records = control_table(base)->getArray("records");
  for (unsigned i = 0; i < records->size(); ++i) ids.push_back(records->getObject(i)->getValue<std::string>("id"));
  return ids;
}

}  // namespace

TEST_CASE("POST creates: the recorded exchange's writable fields come back as recorded") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"fields":{"Name":"singleLineText","f_checkbox":"checkbox","f_currency":"currency","f_date":"date",
      "f_dateTime":"dateTime","f_duration":"duration","f_email":"email","f_multilineText":"multilineText",
      "f_multipleSelects":{"type":"multipleSelects","choices":["Red","Green","Blue"]},"f_number":"number",
      "f_percent":"percent","f_phoneNumber":"phoneNumber","f_rating":"rating","f_richText":"richText",
      "f_singleLineText":"singleLineText","f_singleSelect":{"type":"singleSelect","choices":["Blue","Red"]},
      "f_url":"url","f_autoNumber":"autoNumber"},"records":[]})");
  Obj ex = recorded("POST");
  Obj request = ex->getObject("request_body");
  // Rich text is normalised by Airtable ("* bullet" → "- bullet\n"); the sandbox keeps it as sent.
  request->getArray("records")->getObject(0)->getObject("fields")->remove("f_richText");
  HttpReply r = write(base, "POST", stringify(request));
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Obj got = parse(r.body)->getArray("records")->getObject(0);
  CHECK(got->getValue<std::string>("id").rfind("rec", 0) == 0);
  CHECK(got->getValue<std::string>("id").size() == 17);
  Obj want = ex->getObject("response_body")->getArray("records")->getObject(0)->getObject("fields");
  Obj fields = got->getObject("fields");
  for (const std::string& name : request->getArray("records")->getObject(0)->getObject("fields")->getNames()) {
    CAPTURE(name);
    CHECK(stringify(fields->get(name)) == stringify(want->get(name)));
  }
  CHECK(ids_of(base).back() == got->getValue<std::string>("id"));  // new records come last
}

TEST_CASE("POST creates up to 10 records, all or none; one {\"fields\"} creates one; writes need the scope") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"fields":{"Name":"singleLineText","Seats":"number","Auto":"autoNumber"},"records":[]})");
  std::string eleven = R"({"records":[)";
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? "," : "") + R"({"fields":{"Name":"n"}})";
  HttpReply too_many = write(base, "POST", eleven + "]}");
  check_error(too_many, 422, "INVALID_RECORDS");
  CHECK(error_message(too_many) == "A maximum of 10 records can be created per request but you have provided 11.");
  check_error(write(base, "POST", R"({"records":[{"fields":{"Name":"a"}},{"fields":{"Nope":"b"}}]})"), 422, "UNKNOWN_FIELD_NAME");
  check_error(write(base, "POST", R"({"records":[{"fields":{"Name":"a"}},{"fields":{"Auto":3}}]})"), 422, "INVALID_VALUE_FOR_COLUMN");
  check_error(write(base, "POST", R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}}]})"), 422, "INVALID_RECORDS");
  check_error(write(base, "POST", R"({"records":[{"fields":{"Name":"a"}}]})", k_read_only), 403,
              "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND");
  CHECK(ids_of(base).empty());
  HttpReply one = write(base, "POST", R"({"fields":{"Name":"Solo","Seats":"12"},"typecast":true})");
  REQUIRE_MESSAGE(one.status == 200, one.body);
  CHECK(parse(one.body)->getObject("fields")->getValue<int>("Seats") == 12);
  CHECK(ids_of(base).size() == 1);
}

TEST_CASE("PUT replaces: the fields it does not name are cleared; computed ones stay") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"fields":{"Lookup":"multipleLookupValues"},"records":[{"id":"rec00000000000001",
      "fields":{"Name":"Jazz","Seats":40,"Lookup":[1]}}]})");
  HttpReply r = write(base, "PUT", R"({"records":[{"id":"rec00000000000001","fields":{"Name":"Blues"}}]})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  Obj fields = parse(r.body)->getArray("records")->getObject(0)->getObject("fields");
  CHECK(fields->getValue<std::string>("Name") == "Blues");
  CHECK_FALSE(fields->has("Seats"));
  CHECK(fields->has("Lookup"));
  HttpReply single = write(base, "PUT", R"({"fields":{"Seats":5}})", k_token, "rec00000000000001");
  REQUIRE(single.status == 200);
  CHECK_FALSE(parse(single.body)->getObject("fields")->has("Name"));
}

TEST_CASE("DELETE removes up to 10 records (the recorded answer), all or none; a deleted record is gone") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"a"}},{"id":"rec00000000000002","fields":{"Name":"b"}},
      {"id":"rec00000000000003","fields":{"Name":"c"}}]})");
  check_error(http(base, "DELETE", "/v0/" + k_base + "/Submissions?records%5B%5D=rec00000000000001&records%5B%5D=rec00000000000009",
                   "", bearer()),
              422, "ROW_DOES_NOT_EXIST");
  HttpReply unbracketed = http(base, "DELETE", "/v0/" + k_base + "/Submissions?records=rec00000000000001", "", bearer());
  check_error(unbracketed, 422, "INVALID_RECORDS");
  CHECK(error_message(unbracketed) == "\"records\" must be an array of up to 10 record IDs.");
  CHECK(ids_of(base).size() == 3);

  HttpReply r = http(base, "DELETE", "/v0/" + k_base + "/Submissions?records%5B%5D=rec00000000000001&records%5B%5D=rec00000000000002",
                     "", bearer());
  REQUIRE_MESSAGE(r.status == 200, r.body);
  // Same shape as the recorded answer, with our ids.
  Obj recorded_answer = recorded("DELETE")->getObject("response_body");
  Arr got = parse(r.body)->getArray("records");
  REQUIRE(got->size() == recorded_answer->getArray("records")->size());
  CHECK(got->getObject(0)->getNames() == recorded_answer->getArray("records")->getObject(0)->getNames());
  CHECK(got->getObject(1)->getValue<std::string>("id") == "rec00000000000002");
  CHECK(ids_of(base) == std::vector<std::string>{"rec00000000000003"});

  HttpReply single = http(base, "DELETE", "/v0/" + k_base + "/Submissions/rec00000000000003", "", bearer());
  REQUIRE(single.status == 200);
  CHECK(parse(single.body)->getValue<bool>("deleted"));
  CHECK(parse(single.body)->getValue<std::string>("id") == "rec00000000000003");
  check_error(http(base, "DELETE", "/v0/" + k_base + "/Submissions/rec00000000000003", "", bearer()), 404, "MODEL_ID_NOT_FOUND");
  check_error(http(base, "GET", "/v0/" + k_base + "/Submissions/rec00000000000003", "", bearer()), 404, "MODEL_ID_NOT_FOUND");
}
