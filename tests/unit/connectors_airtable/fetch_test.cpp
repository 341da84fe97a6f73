#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <algorithm>

#include "connectors/airtable.h"
#include "connectors/airtable_wire.h"
#include "tests/unit/connectors_airtable/harness.h"

using namespace pinsync::connectors;
using namespace pinsync::testing;
using pinsync::ErrorKind;

namespace {

const std::string k_offset1 = "itrsyf33wQLm78zi4/recBCnJaHgUe7VUlV";
const std::string k_offset2 = "itrQ2w3e4r5t6y7u8/recZZqBhGVoH1dS0e";

// Page 1 is the recorded page with an offset; page 2 the same with other ids and a
// second offset; page 3 the recorded all-field-types page (no offset: the last).
void script_three_pages(FakeTransport& fake) {
  const std::string p1 = sample("airtable_list_records_page_with_offset_trimmed.json");
  std::string p2 = replaced(replaced(p1, k_offset1, k_offset2), "rec0", "recP2");
  fake.reply(200, p1);
  fake.reply(200, p2);
  fake.reply(200, sample("airtable_list_records_all_field_types.json"));
}

std::size_t column(const Table& t, const std::string& name) {
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  REQUIRE_MESSAGE(it != t.columns.end(), "no column " << name);
  return static_cast<std::size_t>(it - t.columns.begin());
}

const Row& row(const Table& t, const std::string& id) {
  const auto it = std::find_if(t.rows.begin(), t.rows.end(), [&](const Row& r) { return r.native_id == id; });
  REQUIRE_MESSAGE(it != t.rows.end(), "no row " << id);
  return *it;
}

std::string cell(const Table& t, const std::string& id, const std::string& name) {
  return row(t, id).cells.at(column(t, name));
}

}  // namespace

TEST_CASE("airtable fetch: follows offset across 3 pages with exactly 3 requests, offsets sent back verbatim") {
  Harness h;
  script_three_pages(*h.fake);
  AirtableConnector connector(settings(), h.context());
  auto table = connector.fetch();
  REQUIRE_MESSAGE(table.has_value(), table.error().message);
  REQUIRE(h.requests().size() == 3);
  CHECK(query_value(h.requests()[0].url, "offset").empty());
  CHECK_CONTAINS(h.requests()[1].url, "&offset=itrsyf33wQLm78zi4%2FrecBCnJaHgUe7VUlV");
  CHECK(query_value(h.requests()[1].url, "offset") == k_offset1);
  CHECK(query_value(h.requests()[2].url, "offset") == k_offset2);
  for (const auto& r : h.requests()) {
    CHECK(r.method == "GET");
    CHECK(r.url.starts_with("http://127.0.0.1:8787/v0/appA1b2C3d4E5f6G7/Submissions?pageSize=100"));
    const auto auth = std::find_if(r.headers.begin(), r.headers.end(), [](auto& kv) { return kv.first == "Authorization"; });
    REQUIRE(auth != r.headers.end());
    CHECK(auth->second == std::string("Bearer ") + k_token);
  }
  REQUIRE(table->rows.size() == 9);
  CHECK(table->rows[0].native_id == "rec0HLFTLAXuJ6suq");
  CHECK(table->rows[0].row_ref == "rec0HLFTLAXuJ6suq");
  CHECK(table->rows[3].native_id == "recP2HLFTLAXuJ6suq");
  CHECK(table->rows[8].native_id == "recRPeWyMjr7huODJ");
  // No `fields` configured: the union of names in first-seen order, every row aligned.
  CHECK(table->columns.front() == "COLUMN_ID");
  CHECK(table->columns[1] == "f_multipleRecordLinks");
  CHECK(table->columns[2] == "Name");
  for (const auto& r : table->rows) CHECK(r.cells.size() == table->columns.size());
  CHECK(cell(*table, "rec0UUQM7OUfLFTVL", "COLUMN_ID") == "252");
  CHECK(cell(*table, "rec0UUQM7OUfLFTVL", "Name").empty());
  CHECK(cell(*table, "recJFlKvA7Ah8D9Uk", "COLUMN_ID").empty());
}

TEST_CASE("airtable fetch: every recorded field type becomes the string the mapper reads") {
  Harness h;
  h.fake->reply(200, sample("airtable_list_records_all_field_types.json"));
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  REQUIRE(t->rows.size() == 3);
  const std::string brian = "recJFlKvA7Ah8D9Uk", evan = "recKmTt2c5vbei0c3", andy = "recRPeWyMjr7huODJ";
  CHECK(cell(*t, brian, "f_checkbox") == "true");
  CHECK(cell(*t, evan, "f_checkbox").empty());  // unchecked = key absent
  CHECK(cell(*t, brian, "f_date") == "2021-12-01");
  CHECK(cell(*t, brian, "f_dateTime") == "2021-12-02T19:30:00.000Z");
  CHECK(cell(*t, brian, "f_number") == "42.1");
  CHECK(cell(*t, evan, "f_number") == "0.5");
  CHECK(cell(*t, brian, "f_percent") == "0");  // zero is a value, not empty
  CHECK(cell(*t, evan, "f_percent") == "1.23");
  CHECK(cell(*t, evan, "f_duration") == "4980");
  CHECK(cell(*t, evan, "f_count") == "0");
  CHECK(cell(*t, brian, "f_rollup") == "540.8333333333334");
  CHECK(cell(*t, evan, "f_rollup").empty());  // {"specialValue":"NaN"}
  CHECK(cell(*t, evan, "f_singleSelect") == "Blue");
  CHECK(cell(*t, evan, "f_multipleSelects") == "Blue");
  CHECK(cell(*t, andy, "f_multipleSelects") == "Red, Green");
  CHECK(cell(*t, andy, "f_multipleRecordLinks") == "recc05vvn50O7Mu9W, recGZt6FWzmVaXBJx");
  CHECK(cell(*t, andy, "f_multipleLookupValues") == "2083333, 4285248");
  CHECK(cell(*t, evan, "f_multipleAttachments") ==
        "https://dl.airtable.com/.attachments/dff5ff7fc0a8eabd6b411e9e394f91b9/1836ab21/"
        "ScreenShot2021-12-28at11_32_36AM.png");
  CHECK(cell(*t, andy, "f_singleCollaborator") == "Example Collaborator");
  CHECK(cell(*t, evan, "f_multipleCollaborators") == "Example Collaborator");
  CHECK(cell(*t, brian, "f_barcode") == "A234567");
  CHECK(cell(*t, brian, "f_multilineText") == "here is a \nnew line");
  CHECK(cell(*t, andy, "f_url") == "https://www.grouparoo.com");
  CHECK(cell(*t, brian, "f_url").empty());
}

TEST_CASE("airtable fetch: arrays take their first value or join with the configured separator") {
  Harness h;
  h.fake->reply(200, sample("airtable_list_records_all_field_types.json"));
  h.fake->reply(200, sample("airtable_list_records_all_field_types.json"));
  auto first = settings();
  first.arrays = ArrayJoin::first;
  AirtableConnector a(first, h.context());
  auto t = a.fetch();
  REQUIRE(t.has_value());
  CHECK(cell(*t, "recRPeWyMjr7huODJ", "f_multipleSelects") == "Red");
  CHECK(cell(*t, "recRPeWyMjr7huODJ", "f_multipleRecordLinks") == "recc05vvn50O7Mu9W");
  CHECK(cell(*t, "recRPeWyMjr7huODJ", "f_multipleLookupValues") == "2083333");
  auto joined = settings();
  joined.array_separator = " | ";
  AirtableConnector b(joined, h.context());
  auto u = b.fetch();
  REQUIRE(u.has_value());
  CHECK(cell(*u, "recRPeWyMjr7huODJ", "f_multipleSelects") == "Red | Green");
}

TEST_CASE("airtable fetch: configured fields are the columns even when no record has them, and the only ones asked for") {
  Harness h;
  h.fake->reply(200, sample("airtable_list_records_all_field_types.json"));
  auto s = settings();
  s.fields = {"Name", "f_checkbox", "Venue Notes"};
  s.write_back.status_column = "Sync status";
  AirtableConnector connector(s, h.context());
  auto t = connector.fetch();
  REQUIRE(t.has_value());
  CHECK(t->columns == std::vector<std::string>{"Name", "f_checkbox", "Venue Notes"});
  REQUIRE(t->rows.size() == 3);
  CHECK(t->rows[1].cells == std::vector<std::string>{"Evan", "", ""});
  CHECK(t->rows[2].cells == std::vector<std::string>{"Andy", "true", ""});
  REQUIRE(h.requests().size() == 1);
  // The write-back field is read too (to compare before writing), not made a column.
  CHECK(query_values(h.requests()[0].url, "fields%5B%5D") ==
        std::vector<std::string>{"Name", "f_checkbox", "Venue Notes", "Sync status"});
}

TEST_CASE("airtable fetch: the approval formula and view go URL-encoded into every page request") {
  Harness h;
  script_three_pages(*h.fake);
  auto s = settings();
  s.approved_formula = "AND({Status} = 'Approved', {Ready?})";
  s.view = "Grid view";
  s.table = "Partner Events";
  AirtableConnector connector(s, h.context());
  REQUIRE(connector.fetch().has_value());
  REQUIRE(h.requests().size() == 3);
  for (const auto& r : h.requests()) {
    CHECK(r.url.find("filterByFormula=AND%28%7BStatus%7D%20%3D%20%27Approved%27%2C%20%7BReady%3F%7D%29") !=
          std::string::npos);
    CHECK(query_value(r.url, "filterByFormula") == s.approved_formula);
    CHECK(query_value(r.url, "view") == "Grid view");
    CHECK_CONTAINS(r.url, "/Partner%20Events?");
  }
}

TEST_CASE("airtable fetch: an empty table is one request and no rows") {
  Harness h;
  h.fake->reply(200, R"({"records": []})");
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE(t.has_value());
  CHECK(t->rows.empty());
  CHECK(h.requests().size() == 1);
}

TEST_CASE("airtable incremental: the cursor becomes an inclusive LAST_MODIFIED_TIME filter ANDed with approval") {
  Harness h;
  h.clock.set_now(*airtable_parse_timestamp("2026-06-12T18:30:00.000Z"));
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"Edited"})"}}));
  auto s = settings();
  s.approved_formula = "{Approved}";
  AirtableConnector connector(s, h.context());
  auto r = connector.fetch_modified_since("2026-06-12T18:00:00.000Z");
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  REQUIRE(h.requests().size() == 1);
  CHECK(query_value(h.requests()[0].url, "filterByFormula") ==
        "AND({Approved}, IS_AFTER(LAST_MODIFIED_TIME(), '2026-06-12T17:59:59.000Z'))");
  REQUIRE(r->table.rows.size() == 1);
  CHECK(r->table.rows[0].native_id == "recAAAAAAAAAAAAAA");
  // Records carry no modification time: the next cursor is the read's start minus the margin.
  CHECK(r->next_cursor == "2026-06-12T18:29:00.000Z");
}

TEST_CASE("airtable incremental: an empty cursor reads everything; a bad cursor fails without a request") {
  Harness h;
  h.clock.set_now(*airtable_parse_timestamp("2026-06-12T18:30:00.000Z"));
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}));
  AirtableConnector connector(settings(), h.context());
  auto all = connector.fetch_modified_since("");
  REQUIRE(all.has_value());
  CHECK(query_value(h.requests()[0].url, "filterByFormula").empty());
  CHECK(all->next_cursor == "2026-06-12T18:29:00.000Z");
  auto bad = connector.fetch_modified_since("yesterday");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == ErrorKind::invalid);
  CHECK(bad.error().message.starts_with("airtable appA1b2C3d4E5f6G7/Submissions: cursor: \"yesterday\" is not an Airtable timestamp"));
  CHECK(h.requests().size() == 1);
}

TEST_CASE("airtable fetch: an expired offset (422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE) restarts from page 1") {
  Harness h;
  const std::string expired = R"({"error":{"type":"LIST_RECORDS_ITERATOR_NOT_AVAILABLE","message":"Iterator not available"}})";
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}, k_offset1));
  h.fake->reply(422, expired);
  h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", R"({"Name":"A"})"}}, k_offset2));
  h.fake->reply(200, page({{"recBBBBBBBBBBBBBB", R"({"Name":"B"})"}}));
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_MESSAGE(t.has_value(), t.error().message);
  REQUIRE(h.requests().size() == 4);
  CHECK(query_value(h.requests()[1].url, "offset") == k_offset1);
  CHECK(query_value(h.requests()[2].url, "offset").empty());
  CHECK(query_value(h.requests()[3].url, "offset") == k_offset2);
  REQUIRE(t->rows.size() == 2);  // no duplicate of the first page
  CHECK(t->rows[0].native_id == "recAAAAAAAAAAAAAA");
  CHECK(t->rows[1].native_id == "recBBBBBBBBBBBBBB");
}

TEST_CASE("airtable fetch: offsets that keep expiring fail after two restarts") {
  Harness h;
  const std::string expired = R"({"error":{"type":"LIST_RECORDS_ITERATOR_NOT_AVAILABLE"}})";
  for (int i = 0; i < 3; ++i) {
    h.fake->reply(200, page({{"recAAAAAAAAAAAAAA", "{}"}}, k_offset1));
    h.fake->reply(422, expired);
  }
  AirtableConnector connector(settings(), h.context());
  auto t = connector.fetch();
  REQUIRE_FALSE(t.has_value());
  CHECK(h.requests().size() == 6);
  CHECK_CONTAINS(t.error().message, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE");
}
