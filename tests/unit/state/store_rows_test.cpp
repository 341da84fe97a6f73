// Row states outside the outbox: set_row_state(s), listing order, a source's facts,
// forgetting a source, and loading a 100,000-row source.
#include <doctest/doctest.h>

#include <map>

#include "tests/support/checks.h"

#include <algorithm>
#include <chrono>

#include "store_fixture.h"
#include "tests/support/outbox_entry.h"

using namespace pinsync;
using namespace pinsync::state;
using namespace pinsync::state::test;
using namespace std::chrono_literals;

TEST_CASE("set_row_state creates a row and never touches event id, hash or outbox") {
  StoreFixture f;
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A4", RowState::invalid, "Date", "June 32",
                                 "not a date"));
  auto created = f.store->row("acme", "E-1");
  REQUIRE(created);
  REQUIRE(created->has_value());
  CHECK((*created)->state == RowState::invalid);
  CHECK((*created)->error_field == "Date");
  CHECK((*created)->error_value == "June 32");
  CHECK((*created)->error_reason == "not a date");
  CHECK((*created)->row_ref == "Sheet1!A4");
  CHECK_FALSE((*created)->event_id.has_value());

  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  auto update = make_entry("E-1", "{}", WriteAction::update);
  update.payload_hash = "hash-2";
  REQUIRE(put_outbox(*f.store, update));
  f.clock.advance(30s);
  // Removed from the sheet: no row_ref any more, so the last known one stays.
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "", RowState::removed, "", "", ""));

  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->state == RowState::removed);
  CHECK((*row)->row_ref == "Sheet1!A2");
  CHECK((*row)->event_id == 501);
  CHECK((*row)->payload_hash == "hash-1");
  CHECK((*row)->error_field.empty());
  CHECK((*row)->updated_at == f.clock.unix_seconds());
  CHECK((*row)->created_at == f.clock.unix_seconds() - 30);
  auto entry = testing::outbox_entry(*f.store, "acme", "E-1");
  REQUIRE(entry);
  CHECK(entry->has_value());
}

TEST_CASE("set_row_state cuts a long cell value at a character boundary") {
  StoreFixture f;
  std::string value(255, 'x');
  value += "é and more";  // the 2-byte é straddles byte 256
  REQUIRE(set_row_state(*f.store, "acme", "E-1", "Sheet1!A2", RowState::invalid, "Title", value,
                                 "too long"));
  auto row = f.store->row("acme", "E-1");
  REQUIRE(row);
  CHECK((*row)->error_value == std::string(255, 'x'));
}

TEST_CASE("set_row_states applies all updates or none") {
  StoreFixture f;
  std::vector<RowStateUpdate> updates = {
      {"acme", "E-1", "Sheet1!A2", RowState::removed, "", "", ""},
      {"acme", "E-2", "Sheet1!A3", RowState::invalid, "Date", "x", "not a date"},
  };
  REQUIRE(f.store->set_row_states(updates));
  auto rows = f.store->rows("acme");
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[1].error_value == "x");

  updates = {
      {"acme", "E-3", "Sheet1!A4", RowState::removed, "", "", ""},
      {"acme", "", "Sheet1!A5", RowState::removed, "", "", ""},  // no id: refused
  };
  auto bad = f.store->set_row_states(updates);
  REQUIRE_FALSE(bad);
  CHECK_CONTAINS(bad.error().message, "must not be empty");
  auto e3 = f.store->row("acme", "E-3");
  REQUIRE(e3);
  CHECK_FALSE(e3->has_value());
  REQUIRE(f.store->set_row_states({}));
}

TEST_CASE("rows are ordered by source_id and belong to their source only") {
  StoreFixture f;
  for (const char* id : {"b", "A", "a", "10", "9"}) {
    REQUIRE(set_row_state(*f.store, "acme", id, "", RowState::removed, "", "", ""));
  }
  REQUIRE(set_row_state(*f.store, "Zed", "z", "", RowState::removed, "", "", ""));
  REQUIRE(set_row_state(*f.store, "beta", "a", "", RowState::removed, "", "", ""));

  auto rows = f.store->rows("acme");
  REQUIRE(rows);
  std::vector<std::string> ids;
  for (const auto& r : *rows) ids.push_back(r.source_id);
  CHECK(ids == std::vector<std::string>{"10", "9", "A", "a", "b"});  // bytewise

  auto zed = f.store->rows("Zed");
  REQUIRE(zed);
  REQUIRE(zed->size() == 1);
  CHECK(zed->front().source_id == "z");
  auto none = f.store->rows("nobody");
  REQUIRE(none);
  CHECK(none->empty());
  auto missing = f.store->row("acme", "zzz");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("rows_with_event names every row, of any source, that owns an event") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  auto other = make_entry("X-9");
  other.source = "beta";
  REQUIRE(put_outbox(*f.store, other));
  REQUIRE(record_success(*f.store, other, WriteOutcome{201, "req-2", 502}));
  REQUIRE(set_row_state(*f.store, "acme", "E-2", "", RowState::invalid, "", "", "no event"));

  auto owners = f.store->rows_with_event(501);
  REQUIRE(owners);
  REQUIRE(owners->size() == 1);
  CHECK((*owners)[0].source == "acme");
  CHECK((*owners)[0].source_id == "E-1");
  owners = f.store->rows_with_event(502);
  REQUIRE(owners);
  REQUIRE(owners->size() == 1);
  CHECK((*owners)[0].source == "beta");
  owners = f.store->rows_with_event(503);
  REQUIRE(owners);
  CHECK(owners->empty());
}

TEST_CASE("facts: a source's facts are kept by key, replaced, and separate from other sources") {
  StoreFixture f;
  auto none = f.store->fact("acme", "google_sheets.tab");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  REQUIRE(f.store->set_fact("acme", "google_sheets.tab", "1AbC\t0\tEvents"));
  REQUIRE(f.store->set_fact("acme", "google_sheets.tab", "1AbC\t0\tEvents 2026"));
  REQUIRE(f.store->set_fact("acme", "other", "x"));
  CHECK(f.store->fact("acme", "google_sheets.tab")->value_or("") == "1AbC\t0\tEvents 2026");
  CHECK(f.store->fact("acme", "other")->value_or("") == "x");
  CHECK_FALSE(f.store->fact("beta", "google_sheets.tab")->has_value());
}

TEST_CASE("forget_source deletes rows, outbox, audit and facts of that source only") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  REQUIRE(put_outbox(*f.store, make_entry("E-2")));
  auto beta = make_entry("B-1");
  beta.source = "beta";
  REQUIRE(put_outbox(*f.store, beta));
  REQUIRE(record_success(*f.store, beta, WriteOutcome{201, "req-b", 601}));
  auto run = f.store->begin_run("acme", "cli");
  REQUIRE(run);
  REQUIRE(f.store->set_fact("acme", "google_sheets.tab", "1AbC\t0\tEvents"));
  REQUIRE(f.store->set_fact("beta", "google_sheets.tab", "1XyZ\t7\tShows"));

  REQUIRE(f.store->forget_source("acme"));
  auto raw = f.raw();
  CHECK(raw.execAndGet("SELECT count(*) FROM source_facts WHERE source = 'acme'").getInt() == 0);
  CHECK(f.store->fact("beta", "google_sheets.tab")->value_or("") == "1XyZ\t7\tShows");
  CHECK(raw.execAndGet("SELECT count(*) FROM source_rows WHERE source = 'acme'").getInt() == 0);
  CHECK(raw.execAndGet("SELECT count(*) FROM outbox WHERE source = 'acme'").getInt() == 0);
  CHECK(raw.execAndGet("SELECT count(*) FROM audit WHERE source = 'acme'").getInt() == 0);
  auto beta_rows = f.store->rows("beta");
  REQUIRE(beta_rows);
  CHECK(beta_rows->size() == 1);
  auto beta_audit = f.store->audit("beta", "B-1");
  REQUIRE(beta_audit);
  CHECK(beta_audit->size() == 1);
  auto runs = f.store->recent_runs("acme", 10);
  REQUIRE(runs);
  CHECK(runs->size() == 1);  // the run log is history, kept
  REQUIRE(f.store->forget_source("never-seen"));
}

TEST_CASE("a source of 100,000 rows is stored in one batch and loads in order") {
  StoreFixture f;
  constexpr int k_rows = 100'000;
  std::vector<RowStateUpdate> updates;
  updates.reserve(k_rows);
  for (int i = 0; i < k_rows; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "R%06d", i);
    updates.push_back({"big", id, "Sheet1!A" + std::to_string(i + 2), RowState::removed, "", "",
                       ""});
  }
  std::reverse(updates.begin(), updates.end());  // insertion order must not matter
  REQUIRE(f.store->set_row_states(updates));
  REQUIRE(put_outbox(*f.store, [] {
    auto e = make_entry("R000500");
    e.source = "big";
    return e;
  }()));

  const auto started = std::chrono::steady_clock::now();
  auto rows = f.store->rows("big");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(rows);
  REQUIRE(rows->size() == k_rows);
  CHECK(rows->front().source_id == "R000000");
  CHECK(rows->back().source_id == "R099999");
  CHECK((*rows)[500].state == RowState::pending);
  CHECK((*rows)[501].row_ref == "Sheet1!A503");
  CHECK(std::is_sorted(rows->begin(), rows->end(), [](const auto& a, const auto& b) {
    return a.source_id < b.source_id;
  }));
  // Reported, not asserted: timing depends on the machine and the sanitizer.
  MESSAGE("rows() of 100,000 rows took "
          << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
}

TEST_CASE("row_digests give what a pass compares; rows_where reads only the wanted records") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  REQUIRE(set_row_state(*f.store, "acme", "E-2", "partner.csv:3", RowState::invalid, "Date", "x", "not a date"));
  REQUIRE(set_row_state(*f.store, "beta", "E-1", "", RowState::removed, "", "", ""));

  auto digests = f.store->row_digests("acme");
  REQUIRE(digests);
  REQUIRE(digests->size() == 2);
  std::map<std::string, state::RowDigest, std::less<>> by_id;
  for (std::size_t i = 0; i < digests->size(); ++i) by_id.emplace((*digests)[i].source_id, (*digests)[i]);
  auto record = f.store->row("acme", "E-1");
  REQUIRE(record);
  REQUIRE(record->has_value());
  const auto& e1 = by_id.at("E-1");
  CHECK(e1.event_id == 501);
  CHECK(e1.state == RowState::synced);
  CHECK(e1.row_ref == (*record)->row_ref);
  CHECK(e1.payload_hash == (*record)->payload_hash);
  const auto& e2 = by_id.at("E-2");
  CHECK_FALSE(e2.event_id.has_value());
  CHECK(e2.state == RowState::invalid);
  CHECK(e2.row_ref == "partner.csv:3");
  CHECK(e2.payload_hash.empty());

  int asked = 0;
  auto wanted = f.store->rows_where("acme", [&](std::string_view id) {
    ++asked;
    return id == "E-2";
  });
  REQUIRE(wanted);
  CHECK(asked == 2);
  REQUIRE(wanted->size() == 1);
  CHECK(wanted->front().source_id == "E-2");
  CHECK(wanted->front().error_reason == "not a date");
  auto none = f.store->row_digests("nobody");
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("cells tokens: stored per row, read with the digests, other rows untouched") {
  StoreFixture f;
  REQUIRE(put_outbox(*f.store, make_entry("E-1")));
  REQUIRE(record_success(*f.store, make_entry("E-1"), WriteOutcome{201, "req-1", 501}));
  REQUIRE(set_row_state(*f.store, "acme", "E-2", "partner.csv:3", RowState::invalid, "Date", "x", "not a date"));
  auto before = f.store->row_digests("acme");
  REQUIRE(before);
  for (std::size_t i = 0; i < before->size(); ++i) CHECK_FALSE((*before)[i].cells_token.has_value());

  const Digest128 token = sha256_128("cells of E-1");
  const std::vector<CellsToken> tokens{{"E-1", token}, {"E-9", sha256_128("no such row")}};
  REQUIRE(f.store->set_cells_tokens("acme", tokens));
  auto after = f.store->row_digests("acme");
  REQUIRE(after);
  REQUIRE(after->size() == 2);  // the unknown E-9 was not made a row
  for (std::size_t i = 0; i < after->size(); ++i) {
    const RowDigest& d = (*after)[i];
    if (d.source_id == "E-1") CHECK(d.cells_token == token);
    else CHECK_FALSE(d.cells_token.has_value());
  }
}

TEST_CASE("RowDigests: digests and copies that stay put while more are added, however many or long") {
  RowDigests digests;
  const std::string_view first = digests.keep("B-000001");
  const std::string long_text(300 * 1024, 'x');  // more than a block
  const std::string_view big = digests.keep(long_text);
  std::vector<std::string_view> many;
  std::vector<const RowDigest*> rows;
  for (int i = 0; i < 50'000; ++i) {
    many.push_back(digests.keep("row " + std::to_string(i)));
    RowDigest& d = digests.add();
    d.source_id = many.back();
    d.event_id = i;
    rows.push_back(&d);
  }
  RowDigests moved = std::move(digests);
  REQUIRE(moved.size() == 50'000);
  CHECK(&moved[0] == rows.front());
  CHECK(&moved[49'999] == rows.back());
  CHECK(moved[12'345].source_id == "row 12345");
  CHECK(moved[12'345].event_id == 12'345);
  CHECK(first == "B-000001");
  CHECK(big == long_text);
  CHECK(big.data() != long_text.data());
  CHECK(many.front() == "row 0");
  CHECK(many.back() == "row 49999");
  CHECK(moved.keep("").empty());
}
