// Conformance of filterByFormula: each supported construct, Airtable's 422 for anything else,
// and incremental polling by LAST_MODIFIED_TIME on the sandbox's Airtable clock.
#include "tests/sandbox/airtable/helpers.h"

using namespace airtable_test;

namespace {

using Ids = std::vector<std::string>;

// Three records: r1 approved music in Valencia (40 seats), r2 unapproved comedy (0 seats, no
// city), r3 approved theatre in Lisbon (120 seats, two tags).
std::string three_records() {
  return R"({"records":[
    {"id":"rec00000000000001","fields":{"Name":"Jazz","City":"Valencia","Seats":40,"Approved":true,
      "Status":"approved","When":"2026-06-12T18:00:00.000Z","Tags":["music"]}},
    {"id":"rec00000000000002","fields":{"Name":"Stand-up","Seats":0,"Status":"draft",
      "When":"2026-06-10T18:00:00.000Z","Tags":["comedy"]}},
    {"id":"rec00000000000003","fields":{"Name":"Hamlet","City":"Lisbon","Seats":120,"Approved":true,
      "Status":"approved","When":"2026-07-01T19:30:00.000Z","Tags":["theatre","drama"]}}]})";
}

Ids ids(std::initializer_list<int> numbers) {
  Ids out;
  for (int n : numbers) out.push_back(rec_id(n));
  return out;
}

}  // namespace

TEST_CASE("each supported formula construct selects the right records") {
  std::string base = fresh_sandbox();
  put_table(base, three_records());
  CHECK(ids_matching(base, "{Status}='approved'") == ids({1, 3}));
  CHECK(ids_matching(base, R"({Status} = "approved")") == ids({1, 3}));
  CHECK(ids_matching(base, "{Status}!='approved'") == ids({2}));
  CHECK(ids_matching(base, "{Seats}>40") == ids({3}));
  CHECK(ids_matching(base, "{Seats}<40") == ids({2}));
  CHECK(ids_matching(base, "{Seats}>=40") == ids({1, 3}));
  CHECK(ids_matching(base, "{Seats}=0") == ids({2}));  // 0 is a value, not empty
  CHECK(ids_matching(base, "{Approved}") == ids({1, 3}));
  CHECK(ids_matching(base, "NOT({Approved})") == ids({2}));
  CHECK(ids_matching(base, "{Approved}=TRUE()") == ids({1, 3}));
  CHECK(ids_matching(base, "{Approved}=FALSE()") == ids({2}));
  CHECK(ids_matching(base, "{City}=''") == ids({2}));
  CHECK(ids_matching(base, "AND({Approved}, {Seats}>100)") == ids({3}));
  CHECK(ids_matching(base, "OR({Name}='Jazz', {Name}='Stand-up')") == ids({1, 2}));
  CHECK(ids_matching(base, "and(not({Approved}), {Seats}=0)") == ids({2}));  // names are case-insensitive
  CHECK(ids_matching(base, "RECORD_ID()='" + rec_id(3) + "'") == ids({3}));
  CHECK(ids_matching(base, "OR(RECORD_ID()='" + rec_id(1) + "', RECORD_ID()='" + rec_id(2) + "')") == ids({1, 2}));
  CHECK(ids_matching(base, "IS_AFTER({When}, '2026-06-11')") == ids({1, 3}));
  CHECK(ids_matching(base, "IS_BEFORE({When}, DATETIME_PARSE('2026-06-12T18:00:00.000Z'))") == ids({2}));
  CHECK(ids_matching(base, "{Tags}='theatre, drama'") == ids({3}));  // arrays compare as joined text
  CHECK(ids_matching(base, "TRUE()") == ids({1, 2, 3}));
  CHECK(ids_matching(base, "FALSE()") == Ids{});
  CHECK(ids_matching(base, "{Name} & '!' = 'Jazz!'") == ids({1}));
}

TEST_CASE("an unsupported function, bad syntax or unknown field is 422 INVALID_FILTER_BY_FORMULA") {
  std::string base = fresh_sandbox();
  put_table(base, three_records());
  for (std::string formula : {"FIND('a', {Name})", "LEN({Name})>3", "{Seats}+1>2", "AND({Approved}", "{Name}='x",
                              "NOT()", "LAST_MODIFIED_TIME('x')", "IS_AFTER({When})"}) {
    HttpReply r = list(base, "filterByFormula=" + enc(formula));
    INFO(formula);
    check_error(r, 422, "INVALID_FILTER_BY_FORMULA");
    CHECK(error_message(r) == "The formula for filtering records is invalid: Invalid formula. Please check your formula text.");
  }
  // Hostile nesting is refused, not recursed into (regression guard for stack exhaustion).
  std::string chain = "1", parens;
  for (int i = 0; i < 1500; ++i) chain += "=1";
  for (int i = 0; i < 1500; ++i) parens += "(";
  check_error(list(base, "filterByFormula=" + enc(chain)), 422, "INVALID_FILTER_BY_FORMULA");
  check_error(list(base, "filterByFormula=" + enc(parens + "1" + std::string(1500, ')'))), 422, "INVALID_FILTER_BY_FORMULA");
  CHECK(ids_matching(base, "((({Seats}=0)))") == ids({2}));

  HttpReply unknown = list(base, "filterByFormula=" + enc("{Nope}='x'"));
  check_error(unknown, 422, "INVALID_FILTER_BY_FORMULA");
  CHECK(error_message(unknown) == "The formula for filtering records is invalid: Unknown field names: Nope");
}

TEST_CASE("LAST_MODIFIED_TIME with IS_AFTER picks only records changed after a time, with second precision") {
  std::string base = fresh_sandbox();
  settings(base, R"({"now":"2026-06-01T10:00:00.000Z"})");
  put_table(base, three_records());
  settings(base, R"({"now":"2026-06-01T10:05:00.000Z"})");
  // Record 2 edited (Status), records 1 and 3 sent again unchanged, as a control PUT does.
  std::string edited = three_records();
  edited.replace(edited.find(R"("Status":"draft")"), 16, R"("Status":"review")");
  put_table(base, edited);
  const std::string cursor = "2026-06-01T10:02:00.000Z";
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME(), '" + cursor + "')") == ids({2}));
  // The inclusive cursor recommended for second precision includes a change at exactly that second.
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME(), '2026-06-01T10:05:00.000Z')") == Ids{});
  CHECK(ids_matching(base, "NOT(IS_BEFORE(LAST_MODIFIED_TIME(), '2026-06-01T10:05:00.000Z'))") == ids({2}));
  CHECK(ids_matching(base, "IS_SAME(LAST_MODIFIED_TIME(), '2026-06-01T10:05:00.000Z', 'second')") == ids({2}));
  // Limited to fields: a change to Status is not a change of Name.
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME({Name}), '" + cursor + "')") == Ids{});
  CHECK(ids_matching(base, "IS_AFTER(LAST_MODIFIED_TIME({Name}, {Status}), '" + cursor + "')") == ids({2}));
  CHECK(ids_matching(base, "IS_AFTER(CREATED_TIME(), '" + cursor + "')") == Ids{});
  CHECK(ids_matching(base, "IS_AFTER(NOW(), '" + cursor + "')") == ids({1, 2, 3}));

  // The control GET shows the same times.
  Arr records = control_table(base)->getArray("records");
  CHECK(records->getObject(0)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:00:00.000Z");
  CHECK(records->getObject(1)->getValue<std::string>("lastModifiedTime") == "2026-06-01T10:05:00.000Z");
  CHECK(records->getObject(1)->getValue<std::string>("createdTime") == "2026-06-01T10:00:00.000Z");
}
