// Conformance of GET /v0/{baseId}/{table}: pagination with opaque expiring offsets, page size,
// maxRecords, fields[], returnFieldsByFieldId, empty values, field types, sort and views.
#include "tests/support/checks.h"
#include <regex>

#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

std::string numbered_records(int count) {
  std::string body = R"({"records":[)";
  for (int i = 0; i < count; ++i) {
    if (i) body += ",";
    body += R"({"id":")" + rec_id(i) + R"(","fields":{"Name":"Row )" + std::to_string(i) + R"(","N":)" +
            std::to_string(i % 7) + "}}";
  }
  return body + "]}";
}

std::vector<std::string> ids_of(const Obj& page) {
  std::vector<std::string> ids;
  Arr records = page->getArray("records");
  for (unsigned i = 0; i < records->size(); ++i) ids.push_back(records->getObject(i)->getValue<std::string>("id"));
  return ids;
}

}  // namespace

TEST_CASE("250 records come as 3 pages with opaque offsets, in creation order, without duplicates") {
  std::string base = fresh_sandbox();
  put_table(base, numbered_records(250));
  std::vector<std::string> all;
  std::vector<std::size_t> sizes;
  std::string offset;
  const std::regex shape("itr[A-Za-z0-9]{14}/rec[A-Za-z0-9]{14}");
  do {
    HttpReply r = list(base, offset.empty() ? "" : "offset=" + enc(offset));
    REQUIRE(r.status == 200);
    Obj page = parse(r.body);
    auto ids = ids_of(page);
    sizes.push_back(ids.size());
    all.insert(all.end(), ids.begin(), ids.end());
    offset = page->has("offset") ? page->getValue<std::string>("offset") : "";
    if (!offset.empty()) CHECK(std::regex_match(offset, shape));
  } while (!offset.empty() && sizes.size() < 10);
  CHECK(sizes == std::vector<std::size_t>{100, 100, 50});
  REQUIRE(all.size() == 250);
  for (int i = 0; i < 250; ++i) CHECK(all[static_cast<std::size_t>(i)] == rec_id(i));
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 250);
  CHECK(stat_count(base, "GET", "/v0/{baseId}/{table}", 200) == 3);
}

TEST_CASE("pageSize: up to 100, anything else is 422 INVALID_REQUEST_UNKNOWN; maxRecords caps all pages") {
  std::string base = fresh_sandbox();
  put_table(base, numbered_records(30));
  check_error(list(base, "pageSize=101"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "pageSize=0"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "pageSize=ten"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "maxRecords=-1"), 422, "INVALID_REQUEST_UNKNOWN");

  Obj page = parse(list(base, "pageSize=10&maxRecords=25").body);
  CHECK(ids_of(page).size() == 10);
  std::size_t total = ids_of(page).size();
  while (page->has("offset")) {
    page = parse(list(base, "pageSize=10&maxRecords=25&offset=" + enc(page->getValue<std::string>("offset"))).body);
    total += ids_of(page).size();
  }
  CHECK(total == 25);
  // The offset must come back with the same other parameters.
  Obj first = parse(list(base, "pageSize=10").body);
  check_error(list(base, "pageSize=10&maxRecords=3&offset=" + enc(first->getValue<std::string>("offset"))), 422,
              "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");
}

TEST_CASE("an expired, rejected or unknown offset is 422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE; page 1 still works") {
  std::string base = fresh_sandbox();
  put_table(base, numbered_records(150));
  settings(base, R"({"now":"2026-06-12T18:00:00.000Z","offset_ttl_seconds":60})");
  std::string offset = parse(list(base).body)->getValue<std::string>("offset");

  // Within the lifetime the offset works, and using it keeps it alive.
  settings(base, R"({"advance_seconds":50})");
  CHECK(list(base, "offset=" + enc(offset)).status == 200);
  settings(base, R"({"advance_seconds":50})");
  CHECK(list(base, "offset=" + enc(offset)).status == 200);
  // Idle past the lifetime: gone, and stays gone.
  settings(base, R"({"advance_seconds":61})");
  HttpReply expired = list(base, "offset=" + enc(offset));
  check_error(expired, 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");
  check_error(list(base, "offset=" + enc(offset)), 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");

  // Restart from page 1.
  Obj restarted = parse(list(base).body);
  CHECK(ids_of(restarted).size() == 100);
  offset = restarted->getValue<std::string>("offset");
  settings(base, R"({"expire_offsets":true})");
  check_error(list(base, "offset=" + enc(offset)), 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");

  // reject_next_offsets: the next offset use fails once, the restart then pages normally.
  settings(base, R"({"reject_next_offsets":1})");
  offset = parse(list(base).body)->getValue<std::string>("offset");
  check_error(list(base, "offset=" + enc(offset)), 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");
  offset = parse(list(base).body)->getValue<std::string>("offset");
  CHECK(ids_of(parse(list(base, "offset=" + enc(offset)).body)).size() == 50);

  check_error(list(base, "offset=itrNOPEnope123456/rec00000000000001"), 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");
  check_error(list(base, "offset=100"), 422, "INVALID_OFFSET_VALUE");
}

TEST_CASE("fields[] limits the returned fields; an unknown one is 422 UNKNOWN_FIELD_NAME") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"fields":{"Name":"Jazz","City":"Valencia","Seats":40}}]})");
  Obj rec = parse(list(base, "fields%5B%5D=Name&fields%5B%5D=Seats").body)->getArray("records")->getObject(0);
  Obj fields = rec->getObject("fields");
  CHECK(fields->size() == 2);
  CHECK(fields->getValue<std::string>("Name") == "Jazz");
  CHECK(fields->getValue<int>("Seats") == 40);
  CHECK(!fields->has("City"));
  CHECK(rec->has("id"));
  CHECK(rec->has("createdTime"));
  HttpReply r = list(base, "fields%5B%5D=Nope");
  check_error(r, 422, "UNKNOWN_FIELD_NAME");
  CHECK(error_message(r) == "Unknown field name: \"Nope\"");
}

TEST_CASE("returnFieldsByFieldId keys fields by their fld ids; tables answer by name and by tbl id") {
  std::string base = fresh_sandbox();
  Obj table = put_table(base, R"({"records":[{"fields":{"Name":"Jazz"}}]})");
  std::string fld = table->getArray("fields")->getObject(0)->getValue<std::string>("id");
  std::string tbl = table->getValue<std::string>("id");
  CHECK(std::regex_match(fld, std::regex("fld[A-Za-z0-9]{14}")));
  CHECK(std::regex_match(tbl, std::regex("tbl[A-Za-z0-9]{14}")));
  Obj fields = parse(list(base, "returnFieldsByFieldId=true").body)->getArray("records")->getObject(0)->getObject("fields");
  CHECK(fields->getValue<std::string>(fld) == "Jazz");
  CHECK(!fields->has("Name"));
  HttpReply by_id = list(base, "", k_token, tbl);
  REQUIRE(by_id.status == 200);
  CHECK(parse(by_id.body)->getArray("records")->size() == 1);
  // fields[] accepts field ids too.
  CHECK(list(base, "fields%5B%5D=" + fld).status == 200);
}

TEST_CASE("empty values are left out: '', [], false and null; 0 is kept; an empty record has fields {}") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[
      {"id":"recAAAAAAAAAAAAA1","fields":{"Name":"","Tags":[],"Approved":false,"Notes":null,"Seats":0}},
      {"id":"recAAAAAAAAAAAAA2","fields":{"Name":"Jazz","Approved":true,"Tags":["music"]}}]})");
  Arr records = parse(list(base).body)->getArray("records");
  Obj empty = records->getObject(0)->getObject("fields");
  CHECK(empty->size() == 1);
  CHECK(empty->getValue<int>("Seats") == 0);
  Obj full = records->getObject(1)->getObject("fields");
  CHECK(full->getValue<bool>("Approved") == true);
  CHECK(!full->has("Seats"));

  put_table(base, R"({"records":[{"id":"recAAAAAAAAAAAAA1","fields":{}}]})");
  std::string body = list(base).body;
  CHECK_CONTAINS(body, R"("fields":{})");
}

TEST_CASE("values come back typed as Airtable returns them") {
  std::string base = fresh_sandbox();
  Obj table = put_table(base, R"({"fields":{"Status":"singleSelect","Raised":"multipleLookupValues","Since":"dateTime"},
      "records":[{"fields":{
        "Name":"Jazz at the Docks","Day":"2026-06-12","When":"2026-06-12T20:00:00-04:00","Since":"2026-06-12",
        "UtcWhen":"2026-06-12T18:00:00.123Z","Seats":40,"Price":12.5,"Approved":true,"Status":"Approved",
        "Tags":["Music","Jazz"],"Venue":["recVENUE000000001"],"Raised":[2083333,4285248],
        "Poster":[{"id":"attN2mlvP7kLjqFmZ","url":"https://example.com/p.png","filename":"p.png","size":78505,"type":"image/png"}],
        "Barcode":{"text":"A234567"}}}]})");
  std::map<std::string, std::string> types;
  Arr fields = table->getArray("fields");
  for (unsigned i = 0; i < fields->size(); ++i) {
    types[fields->getObject(i)->getValue<std::string>("name")] = fields->getObject(i)->getValue<std::string>("type");
  }
  CHECK(types["Name"] == "singleLineText");
  CHECK(types["Day"] == "date");
  CHECK(types["When"] == "dateTime");
  CHECK(types["Seats"] == "number");
  CHECK(types["Approved"] == "checkbox");
  CHECK(types["Status"] == "singleSelect");
  CHECK(types["Tags"] == "multipleSelects");
  CHECK(types["Venue"] == "multipleRecordLinks");
  CHECK(types["Raised"] == "multipleLookupValues");
  CHECK(types["Poster"] == "multipleAttachments");

  HttpReply r = list(base);
  REQUIRE(r.status == 200);
  CHECK(r.headers.at("content-type").find("application/json") == 0);
  Obj rec = parse(r.body)->getArray("records")->getObject(0);
  CHECK(std::regex_match(rec->getValue<std::string>("id"), std::regex("rec[A-Za-z0-9]{14}")));
  CHECK(std::regex_match(rec->getValue<std::string>("createdTime"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z)")));
  Obj f = rec->getObject("fields");
  CHECK(f->getValue<std::string>("Day") == "2026-06-12");
  CHECK(f->getValue<std::string>("When") == "2026-06-13T00:00:00.000Z");   // converted to UTC
  CHECK(f->getValue<std::string>("Since") == "2026-06-12T00:00:00.000Z");  // declared dateTime
  CHECK(f->getValue<std::string>("UtcWhen") == "2026-06-12T18:00:00.000Z"); // second precision
  CHECK(f->getValue<int>("Seats") == 40);
  CHECK(f->getValue<double>("Price") == 12.5);
  CHECK_CONTAINS(r.body, R"("Seats":40,)");  // an integer stays an integer
  CHECK(f->getValue<bool>("Approved") == true);
  CHECK(f->getValue<std::string>("Status") == "Approved");
  CHECK(f->getArray("Tags")->getElement<std::string>(1) == "Jazz");
  CHECK(f->getArray("Venue")->getElement<std::string>(0) == "recVENUE000000001");
  CHECK(f->getArray("Raised")->getElement<int>(1) == 4285248);
  CHECK(f->getArray("Poster")->getObject(0)->getValue<std::string>("url") == "https://example.com/p.png");
  CHECK(f->getObject("Barcode")->getValue<std::string>("text") == "A234567");

  // A value that does not fit a declared type is refused by the control route.
  HttpReply bad = http(base, "PUT", "/_sandbox/airtable/" + k_base + "/Submissions",
                       R"({"records":[{"fields":{"Seats":"forty"}}]})");
  CHECK(bad.status == 400);
  CHECK_CONTAINS(bad.body, "Seats");
  HttpReply bad_type = http(base, "PUT", "/_sandbox/airtable/" + k_base + "/Other", R"({"fields":{"X":"spreadsheet"},"records":[]})");
  CHECK(bad_type.status == 400);
  CHECK(http(base, "GET", "/_sandbox/airtable/" + k_base + "/Other").status == 404);  // nothing half-made
}

TEST_CASE("sort[0] orders records, views filter and sort, an unknown view is 422 VIEW_NAME_NOT_FOUND") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[
      {"id":"rec00000000000001","fields":{"Name":"b","Seats":20,"Approved":true}},
      {"id":"rec00000000000002","fields":{"Name":"a","Seats":30}},
      {"id":"rec00000000000003","fields":{"Name":"c","Seats":10,"Approved":true}}],
    "views":[{"name":"Approved by seats","filterByFormula":"{Approved}","sort":[{"field":"Seats","direction":"asc"}]}]})");
  auto ids = [&](const std::string& query) {
    HttpReply r = list(base, query);
    INFO(query << " → " << r.body);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    Arr records = parse(r.body)->getArray("records");
    for (unsigned i = 0; i < records->size(); ++i) out.push_back(records->getObject(i)->getValue<std::string>("id").substr(16));
    return out;
  };
  CHECK(ids("") == std::vector<std::string>{"1", "2", "3"});
  CHECK(ids("sort%5B0%5D%5Bfield%5D=Name") == std::vector<std::string>{"2", "1", "3"});
  CHECK(ids("sort%5B0%5D%5Bfield%5D=Seats&sort%5B0%5D%5Bdirection%5D=desc") == std::vector<std::string>{"2", "1", "3"});
  CHECK(ids("view=" + enc("Approved by seats")) == std::vector<std::string>{"3", "1"});
  // sort overrides the view's order; the view's filter still applies.
  CHECK(ids("view=" + enc("Approved by seats") + "&sort%5B0%5D%5Bfield%5D=Name") == std::vector<std::string>{"1", "3"});
  std::string view_id = control_table(base)->getArray("views")->getObject(0)->getValue<std::string>("id");
  CHECK(ids("view=" + view_id) == std::vector<std::string>{"3", "1"});

  HttpReply unknown = list(base, "view=Nope");
  check_error(unknown, 422, "VIEW_NAME_NOT_FOUND");
  check_error(list(base, "sort%5B0%5D%5Bfield%5D=Nope"), 422, "UNKNOWN_FIELD_NAME");
  check_error(list(base, "sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D=up"), 422, "INVALID_REQUEST_UNKNOWN");
}

TEST_CASE("cellFormat=json is the default; cellFormat=string needs timeZone and userLocale; unknown parameters are refused") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"fields":{"Name":"Jazz"}}]})");
  CHECK(list(base, "cellFormat=json").status == 200);
  CHECK(list(base, "cellFormat=string&timeZone=UTC&userLocale=en").status == 200);
  check_error(list(base, "cellFormat=string&userLocale=en"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "cellFormat=string&timeZone=UTC"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "cellFormat=string&timeZone=Mars%2FBase&userLocale=en"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "cellFormat=csv"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "fields=Name"), 422, "INVALID_REQUEST_UNKNOWN");
  check_error(list(base, "returnFieldsByFieldId=maybe"), 422, "INVALID_REQUEST_UNKNOWN");
}

TEST_CASE("one record by id; an unknown record is 404 MODEL_ID_NOT_FOUND; undefined routes are a bare NOT_FOUND") {
  std::string base = fresh_sandbox();
  put_table(base, R"({"records":[{"id":"rec00000000000001","fields":{"Name":"Jazz"}}]})");
  HttpReply one = http(base, "GET", "/v0/" + k_base + "/Submissions/rec00000000000001", "", bearer());
  REQUIRE(one.status == 200);
  CHECK(parse(one.body)->getObject("fields")->getValue<std::string>("Name") == "Jazz");
  HttpReply missing = http(base, "GET", "/v0/" + k_base + "/Submissions/rec00000000000009", "", bearer());
  check_error(missing, 404, "MODEL_ID_NOT_FOUND");
  CHECK(error_message(missing) == "Record not found");
  HttpReply undefined = http(base, "GET", "/v0/" + k_base, "", bearer());
  CHECK(undefined.status == 404);
  CHECK(undefined.body == R"({"error":"NOT_FOUND"})");
  // POST …/listRecords is not emulated and must not pass silently; nor may a POST to a record.
  CHECK(http(base, "POST", "/v0/" + k_base + "/Submissions/listRecords", "{}", bearer()).body == R"({"error":"NOT_FOUND"})");
  CHECK(http(base, "POST", "/v0/" + k_base + "/Submissions/rec00000000000001", "{}", bearer()).status == 404);
}
