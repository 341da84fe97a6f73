// One truth about a pass: its result, its one JSON shape (written and read back the same)
// and its one text, and the run log's record of it.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/sync/report.h"

using namespace pinsync;
using namespace pinsync::agent;

namespace {

PassReport sample() {
  PassReport r;
  r.source = "acme";
  r.created = 2;
  r.updated = 1;
  r.unchanged = 20;
  r.invalid = 1;
  r.held = 1;
  r.dead = 1;
  r.api_requests = 3;
  r.write_back_cells = 4;
  r.rows = {{"partner.csv:3", "E-2", RowAction::created, 11, ""},
            {"partner.csv:4", "E-3", RowAction::invalid, std::nullopt, "Date: \"June 32\" is not a date"},
            {"partner.csv:5", "E-4", RowAction::dead, 12, "gave up after 10 attempts"}};
  return r;
}

}  // namespace

TEST_CASE("report: one result per pass, the most serious first") {
  PassReport r;
  CHECK(result_of(r) == PassResult::ok);
  r.held = 2;  // held rows wait for a person; the pass itself settled everything else
  CHECK(result_of(r) == PassResult::ok);
  r.invalid = 5;  // invalid rows are counted and alerted on apart: still a success
  CHECK(result_of(r) == PassResult::ok);
  CHECK(r.succeeded());
  CHECK_FALSE(r.clean());  // …but sync still exits 5 for them
  r.failed = 1;
  CHECK(result_of(r) == PassResult::rows_not_synced);
  r.suspect = "no approved row now";
  CHECK(result_of(r) == PassResult::suspect);
  r.stopped = Error{ErrorKind::transient, "acme: cannot reach the sheet"};
  CHECK(result_of(r) == PassResult::stopped);
  r.paused = true;
  CHECK(result_of(r) == PassResult::paused);
  for (const auto result : k_pass_results) CHECK(pass_result_from_string(to_string(result)) == result);
  CHECK_FALSE(pass_result_from_string("stopped: x").has_value());
  CHECK_FALSE(pass_result_from_string("rows_failed").has_value());  // schema 4 renamed it in the run log
  r = PassReport{};
  r.dead = 1;
  CHECK(result_of(r) == PassResult::rows_not_synced);
}

TEST_CASE("report: a resync of named rows says so, and lists the IDs no row has, in JSON and back") {
  PassReport r;
  r.source = "acme";
  r.row_scoped = true;
  r.unknown_rows = {"E-22", "X-1"};
  r.stopped = Error{ErrorKind::invalid, "no row with ID \"E-22\" in acme (closest: E-2)"};
  const std::string json = reports_json({r});
  CHECK_CONTAINS(json, R"("row_scoped":true,"unknown_rows":["E-22","X-1"])");
  const auto back = reports_from_json(json);
  REQUIRE(back);
  CHECK(back->front().row_scoped);
  CHECK(back->front().unknown_rows == std::vector<std::string>{"E-22", "X-1"});
  CHECK(reports_json(*back) == json);
  PassReport whole;
  whole.source = "acme";
  CHECK_NOT_CONTAINS(reports_json({whole}), "row_scoped");
}

TEST_CASE("report: every row action has one word, read back to the same action") {
  for (const auto a : {RowAction::created, RowAction::updated, RowAction::unchanged, RowAction::invalid,
                       RowAction::removed, RowAction::held, RowAction::waiting, RowAction::failed, RowAction::dead,
                       RowAction::would_create, RowAction::would_update, RowAction::would_remove}) {
    CHECK(row_action_from_string(to_string(a)) == a);
  }
  CHECK(to_string(RowAction::would_create) == "would create");
}

TEST_CASE("report: the JSON shape, and reading it back gives the same report") {
  auto r = sample();
  const std::string json = reports_json({r});
  CHECK(json.starts_with(R"({"reports":[{"source":"acme","result":"rows_not_synced","created":2,"updated":1,)"));
  CHECK(json.find(R"("rows":[{"row_ref":"partner.csv:3","source_id":"E-2","action":"created","event_id":11,"detail":""})") !=
        std::string::npos);
  CHECK_CONTAINS(json, R"("event_id":null)");
  CHECK_NOT_CONTAINS(json, "\"error\"");

  auto back = reports_from_json(json);
  REQUIRE(back);
  REQUIRE(back->size() == 1);
  const auto& b = back->front();
  CHECK(b.source == "acme");
  CHECK(result_of(b) == PassResult::rows_not_synced);
  CHECK(b.created == 2);
  CHECK(b.dead == 1);
  CHECK(b.write_back_cells == 4);
  REQUIRE(b.rows.size() == 3);
  CHECK(b.rows[1].action == RowAction::invalid);
  CHECK_FALSE(b.rows[1].event_id.has_value());
  CHECK(b.rows[2].event_id == 12);
  CHECK(reports_json(*back) == json);

  // A stop keeps its kind, so the CLI reading the agent's answer exits as sync would.
  r.stopped = Error{ErrorKind::config, "acme: column \"Date\" is missing"};
  back = reports_from_json(reports_json({r}));
  REQUIRE(back);
  REQUIRE(back->front().stopped);
  CHECK(back->front().stopped->kind == ErrorKind::config);

  // A summary leaves the rows out.
  json::Writer w;
  write_report_json(w, sample(), ReportRows::omitted);
  CHECK_NOT_CONTAINS(w.str(), "\"rows\"");

  CHECK_FALSE(reports_from_json("{\"sources\":[]}"));
  CHECK_FALSE(reports_from_json(R"({"reports":[{"source":"a","result":"fine"}]})"));
}

TEST_CASE("report: one text for sync, plan and resync") {
  const auto text = report_text(sample(), PassMode::apply);
  CHECK(text.starts_with("acme: rows_not_synced — 2 created, 1 updated, 20 unchanged, 1 invalid, 0 removed, "
                         "1 held for review, 1 dead (3 API requests)\n"));
  CHECK_CONTAINS(text, "wrote 4 cells back into the source");
  CHECK_CONTAINS(text, "  invalid       partner.csv:4");
  CHECK_CONTAINS(text, "event 11");

  auto dry = sample();
  dry.rows = {{"partner.csv:3", "E-2", RowAction::would_create, std::nullopt, ""}};
  const auto plan = report_text(dry, PassMode::dry_run);
  CHECK(plan.starts_with("acme: 2 to create, 1 to update,"));
  CHECK_NOT_CONTAINS(plan, "API requests");
  CHECK_CONTAINS(plan, "would create");

  auto stopped = sample();
  stopped.stopped = Error{ErrorKind::auth, "acme: paused since 2026-12-01: Pinned Events answered 401"};
  stopped.paused = true;
  CHECK(report_text(stopped, PassMode::apply).starts_with("acme: PAUSED — paused since 2026-12-01"));
}

TEST_CASE("report: the run log keeps the result as a word and its reason beside it") {
  auto r = sample();
  r.suspect = "40 of 200 approved rows would be marked removed";
  auto rec = run_record_of(r);
  CHECK(rec.result == "suspect");
  CHECK(rec.detail == r.suspect);
  CHECK(rec.held == 1);
  CHECK(rec.dead == 1);
  const auto back = report_of(rec);
  CHECK(result_of(back) == PassResult::suspect);
  CHECK(back.created == 2);
  CHECK(back.rows.empty());

  r.suspect.clear();
  r.stopped = Error{ErrorKind::auth, "refused"};
  r.paused = true;
  rec = run_record_of(r);
  CHECK(rec.result == "paused");
  CHECK(result_of(report_of(rec)) == PassResult::paused);
}

TEST_CASE("report: streamed, a report at a time and a long one in pieces, the text and JSON are the same") {
  PassReport big = sample();
  for (int i = 0; i < 5000; ++i) {
    big.rows.push_back({"partner.csv:" + std::to_string(i + 10), "N-" + std::to_string(i), RowAction::would_create,
                        std::nullopt, ""});
  }
  PassReport stopped;
  stopped.source = "other";
  stopped.stopped = Error{ErrorKind::transient, "other: could not be read"};
  const std::vector<PassReport> reports = {sample(), big, stopped};

  // The stream must be handed pieces, not the whole text at the end: count the writes.
  struct Counting : std::stringbuf {
    int writes = 0;
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      ++writes;
      return std::stringbuf::xsputn(s, n);
    }
  };
  Counting buffer;
  std::ostream out(&buffer);
  JsonReportStream json(out);
  for (const auto& r : reports) json.add(r);
  json.finish();
  CHECK(buffer.str() == reports_json(reports));
  CHECK(buffer.writes > 3);
  const auto back = reports_from_json(buffer.str());
  REQUIRE_MESSAGE(back, back.error().message);
  CHECK(back->at(1).rows.size() == big.rows.size());

  std::ostringstream text;
  write_report_text(text, big, PassMode::dry_run);
  CHECK(text.str() == report_text(big, PassMode::dry_run));
  CHECK_CONTAINS(text.str(), "  would create  partner.csv:5009");
}
