// The sync pass end to end: the real pinsync binary against pinsync-sandbox on loopback.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

#include "state/lock.h"
#include "tests/support/csv_world.h"
#include "tests/support/process.h"

using pinsync::test::http;
using pinsync::test::run_process;

using World = pinsync::test::CsvWorld;
using pinsync::test::row;
using pinsync::test::rows;

TEST_CASE("sync: N approved rows become exactly N events with the right fields; a second sync writes nothing") {
  World w;
  w.sheet(rows(5) + row("V-1", "yes", "Concierto", "2026-07-01", "21:00", "\"Jazz, Stand-up\"", "Valencia", "Europe/Madrid") +
          row("W-1", "yes", "Winter Jazz", "1/15/2026", "8:00 PM"));
  const auto first = w.pinsync({"sync"});
  CHECK(first.exit_code == 0);
  CHECK(w.events()->size() == 7);
  CHECK(w.posts() == 7);

  auto summer = w.event_titled("Show 3");
  CHECK(summer->getValue<int>("channelId") == 42);
  CHECK(summer->getValue<std::string>("startAt") == "2026-06-03T20:00:00-04:00");
  CHECK(summer->getValue<std::string>("endAt") == "2026-06-03T23:00:00-04:00");
  CHECK(summer->getValue<std::string>("timezone") == "America/New_York");
  CHECK(summer->getValue<std::string>("status") == "published");
  CHECK(summer->getArray("classifications")->getElement<std::string>(0) == "music");
  auto city = summer->getObject("approxLocation")->getObject("city");
  CHECK(city->getValue<std::string>("placeId") == "place-new-york");
  CHECK(city->getValue<std::string>("countryCode") == "US");
  CHECK(summer->getValue<std::string>("idempotencyKey") == "pinsync-acme-E-3-create");

  // DST: the same wall time is -05:00 in January.
  CHECK(w.event_titled("Winter Jazz")->getValue<std::string>("startAt") == "2026-01-15T20:00:00-05:00");
  auto valencia = w.event_titled("Concierto");
  CHECK(valencia->getValue<std::string>("startAt") == "2026-07-01T21:00:00+02:00");
  CHECK(valencia->getValue<std::string>("timezone") == "Europe/Madrid");
  CHECK(valencia->getArray("classifications")->size() == 2);

  const auto second = w.pinsync({"sync"});
  CHECK(second.exit_code == 0);
  CHECK(w.posts() == 7);
  CHECK(w.patches() == 0);
  CHECK(w.events()->size() == 7);
  CHECK_CONTAINS(second.out, "7 unchanged");
}

TEST_CASE("sync: k edited rows become exactly k PATCH requests and no POST; unused columns change nothing") {
  World w;
  w.sheet(rows(6));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  REQUIRE(w.posts() == 6);
  const auto id_of_show2 = w.event_titled("Show 2")->getValue<int>("id");

  // Two real edits (title of E-2, start time of E-5) and one edit of the unmapped Notes column.
  std::string sheet;
  for (int i = 1; i <= 6; ++i) {
    const auto n = std::to_string(i);
    const std::string title = i == 2 ? "Show 2 (moved indoors)" : "Show " + n;
    const std::string start = i == 5 ? "9:30 PM" : "8:00 PM";
    sheet += row("E-" + n, "yes", title, "6/" + n + "/2026", start, "Jazz", "New York", "", i == 4 ? "call back" : "");
  }
  w.sheet(sheet);
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 0);
  CHECK(w.patches() == 2);
  CHECK(w.posts() == 6);
  CHECK(w.events()->size() == 6);
  auto moved = w.event_titled("Show 2 (moved indoors)");
  CHECK(moved->getValue<int>("id") == id_of_show2);
  CHECK(w.event_titled("Show 5")->getValue<std::string>("startAt") == "2026-06-05T21:30:00-04:00");
  CHECK_CONTAINS(r.out, "2 updated");

  // And once more: nothing left to do.
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.patches() == 2);
}

TEST_CASE("sync: shuffled rows or a row inserted at the top cause no writes") {
  World w;
  w.sheet(rows(4));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  // Same rows in reverse order, then a blank line and an unapproved row inserted at the top.
  std::string reversed;
  for (int i = 4; i >= 1; --i) reversed += rows(1, i);
  w.sheet(row("X-0", "no", "Not yet", "6/20/2026", "8:00 PM") + "\n" + reversed);
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 0);
  CHECK(w.posts() == 4);
  CHECK(w.patches() == 0);
  CHECK_CONTAINS(r.out, "4 unchanged");
}

TEST_CASE("sync: an unapproved row is reported removed, its event is kept, nothing is written") {
  World w;
  w.sheet(rows(5));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  // One of five is 20%: within max_removed_share, so the read is not suspect.
  w.sheet(rows(1, 1) + row("E-2", "no", "Show 2", "6/2/2026", "8:00 PM") + rows(3, 3));
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 0);
  CHECK(w.posts() == 5);
  CHECK(w.patches() == 0);
  CHECK(w.events()->size() == 5);
  CHECK_CONTAINS(r.out, "1 removed");
  CHECK_CONTAINS(r.out, "no longer approved");
  const auto status = w.pinsync({"status", "--json"});
  CHECK_CONTAINS(status.out, R"("removed":1)");
  // Removed is reported once, not on every pass.
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "0 removed");
}

TEST_CASE("sync: invalid rows are listed by errors with their row reference and never sent") {
  World w;
  w.sheet(rows(2) + row("B-1", "yes", "Bad date", "2/30/2026", "8:00 PM") +
          row("B-2", "yes", "Bad city", "6/9/2026", "8:00 PM", "Jazz", "Atlantis") +
          row("B-3", "yes", "Bad slug", "6/9/2026", "8:00 PM", "Polka") +
          row("B-4", "yes", "Bad zone", "6/9/2026", "8:00 PM", "Jazz", "New York", "Mars/Olympus"));
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 5);
  CHECK(w.posts() == 2);
  CHECK(w.events()->size() == 2);
  const auto errors = w.pinsync({"errors", "--json"});
  CHECK(errors.exit_code == 0);
  auto list = Poco::JSON::Parser().parse(errors.out).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(list->size() == 4);
  std::map<std::string, Poco::JSON::Object::Ptr> by_id;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto e = list->getObject(static_cast<unsigned>(i));
    by_id[e->getValue<std::string>("source_id")] = e;
    CHECK(e->getValue<std::string>("source") == "acme");
    CHECK(!e->getValue<std::string>("reason").empty());
  }
  CHECK(by_id["B-1"]->getValue<std::string>("row_ref") == "partner.csv:4");
  CHECK(by_id["B-1"]->getValue<std::string>("field") == "Date");
  CHECK(by_id["B-1"]->getValue<std::string>("value") == "2/30/2026");
  CHECK(by_id["B-2"]->getValue<std::string>("field") == "City");
  CHECK(by_id["B-3"]->getValue<std::string>("field") == "Category");
  CHECK(by_id["B-4"]->getValue<std::string>("field") == "Time zone");
  const auto text = w.pinsync({"errors"});
  CHECK_CONTAINS(text.out, "partner.csv:4");
}

TEST_CASE("sync: with the state file deleted, a rerun within the idempotency window creates no duplicate") {
  // (recovery_test.cpp has the whole story: the events are adopted before any create.)
  World w;
  w.sheet(rows(4));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  std::filesystem::remove(w.dir / "state.db");
  std::filesystem::remove(w.dir / "state.db-wal");
  std::filesystem::remove(w.dir / "state.db-shm");
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 0);
  CHECK(w.events()->size() == 4);
  CHECK(w.posts() == 4);  // a new state file: found and adopted, not sent again
  CHECK_CONTAINS(r.out, "4 adopted");
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "4 unchanged");
}

TEST_CASE("plan shows each update's fields old -> new; history --row names the fields each write changed") {
  World w;
  w.sheet(rows(2));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  // Show 1 moves an hour later and gets a new title.
  w.sheet(row("E-1", "yes", "Show 1 (late)", "6/1/2026", "9:00 PM") + rows(1, 2));
  const auto plan = w.pinsync({"plan"});
  CHECK(plan.exit_code == 0);
  CHECK_CONTAINS(plan.out, "1 to update, 1 unchanged");
  CHECK_CONTAINS(plan.out, R"x(title: "Show 1" → "Show 1 (late)")x");
  CHECK_CONTAINS(plan.out, R"(startAt: "2026-06-01T20:00:00-04:00" → "2026-06-01T21:00:00-04:00")");
  const auto json = w.pinsync({"plan", "--json"});
  CHECK_CONTAINS(json.out, R"x({"field":"title","old":"Show 1","new":"Show 1 (late)"})x");

  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const auto history = w.pinsync({"history", "--row", "E-1"});
  CHECK_CONTAINS(history.out, "changed startAt, title");
  CHECK_CONTAINS(w.pinsync({"history", "--row", "E-1", "--json"}).out, R"("fields":["startAt","title"])");
  CHECK_NOT_CONTAINS(w.pinsync({"plan"}).out, "→");  // nothing left to change
}

TEST_CASE("plan: shows what would happen and changes nothing") {
  World w;
  w.sheet(rows(4) + row("B-1", "yes", "Bad date", "2/30/2026", "8:00 PM"));
  const auto plan = w.pinsync({"plan"});
  CHECK(plan.exit_code == 5);
  CHECK_CONTAINS(plan.out, "4 to create");
  CHECK_CONTAINS(plan.out, "1 invalid");
  CHECK(!std::filesystem::exists(w.dir / "state.db"));
  CHECK(w.posts() == 0);
  REQUIRE(w.pinsync({"sync"}).exit_code == 5);
  w.sheet(rows(3) + rows(1, 7) + row("B-1", "yes", "Bad date", "2/30/2026", "8:00 PM"));
  const auto json = w.pinsync({"plan", "--json"});
  auto doc = Poco::JSON::Parser().parse(json.out).extract<Poco::JSON::Object::Ptr>();
  auto source = doc->getArray("reports")->getObject(0);
  CHECK(source->getValue<std::string>("result") == "ok");  // an invalid row is counted, not a failure
  CHECK(source->getValue<int>("invalid") == 1);
  CHECK(source->getValue<int>("created") == 1);
  CHECK(source->getValue<int>("removed") == 1);
  CHECK(source->getValue<int>("unchanged") == 3);
  CHECK(w.posts() == 4);
  CHECK(w.patches() == 0);
}

TEST_CASE("sync: exit codes and messages for a bad config, a refused key and a vanished column") {
  World w;
  w.sheet(rows(1));
  const auto refused = w.pinsync({"sync"}, "not-a-key");
  CHECK(refused.exit_code == 4);
  CHECK_CONTAINS(refused.err, "401");
  CHECK(w.posts() == 0);

  w.dir.write("partner.csv", "Event ID,Approved,Title,Day,Start,End,Time zone,Category,City,Venue,Description,Tickets\n"
          "E-1,yes,Show,6/1/2026,8:00 PM,,,Jazz,New York,V,D,\n");
  const auto renamed = w.pinsync({"sync"});
  CHECK(renamed.exit_code == 3);
  CHECK_CONTAINS((renamed.out + renamed.err), "\"Date\"");
  CHECK(w.posts() == 0);

  w.dir.write("pinsync.yaml", "pinned:\n  api_key: ${PINNED_EVENTS_API_KEY}\n  base_urll: x\n");
  const auto bad = w.pinsync({"sync"});
  CHECK(bad.exit_code == 3);
  CHECK_CONTAINS(bad.err, "pinsync.yaml:3");
}

TEST_CASE("sync: a second pinsync on the same state file exits at once, naming the holder's pid") {
  World w;
  w.sheet(rows(2));
  auto held = pinsync::state::StateLock::acquire(w.dir / "state.db");
  REQUIRE(held);
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 1);
  CHECK_CONTAINS(r.err, "in use by another pinsync (pid " + std::to_string(::getpid()) + ")");
  CHECK(w.posts() == 0);
  // plan and status only read, so they still work while the agent runs.
  CHECK(w.pinsync({"status"}).exit_code == 0);
  held->reset();
  CHECK(w.pinsync({"sync"}).exit_code == 0);
  CHECK(w.posts() == 2);
}

TEST_CASE("sync: killed (-9) while a create is in flight; after the idempotency window the event is found, not duplicated") {
  // A window of 0 s makes every create in doubt 'old': pinsync must look before resending.
  World w("  idempotency_window_seconds: 0\n");
  w.sheet(rows(3));
  // Each create takes 1.5 s inside the API. Kill pinsync as soon as its first create is
  // committed to the outbox (so it is on the wire), long before any answer can arrive.
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"latency_ms":1500})").status == 200);
  const std::string db = (w.dir / "state.db").string();
  std::vector<std::string> argv = {std::string(PINSYNC_BIN_DIR) + "/pinsync", "sync", "--config", w.config.string()};
  // Killed as soon as the batch's creates are committed to the outbox (so they are on the
  // wire), long before any answer can arrive.
  const auto killed = pinsync::test::run_process_killed_when(argv, {{"PINNED_EVENTS_API_KEY", "sandbox-key"}}, [&] {
    return std::filesystem::exists(db) &&
           run_process({"sqlite3", db, "SELECT count(*) FROM outbox;"}).out == "3\n" &&
           pinsync::test::sandbox_in_flight(w.sandbox.base_url()) > 0;
  });
  CHECK(killed.exit_code == 137);
  // The API finishes the creates the dead process sent (lowering the latency ends their wait).
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"latency_ms":0})").status == 200);
  pinsync::test::wait_sandbox_idle(w.sandbox.base_url());
  REQUIRE(w.events()->size() >= 1);

  // The API forgets its idempotency keys; a blind resend of the stored create would now
  // make a second event.
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"idempotency_ttl_seconds":0})")
              .status == 200);
  const auto after = w.pinsync({"sync"});
  CHECK(after.exit_code == 0);
  CHECK(w.events()->size() == 3);
  CHECK(w.posts() == 3);  // each create once: those in flight were found, the others sent
  CHECK(w.requests("GET", "/api/public/v1/events") >= 1);
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "3 unchanged");
  const auto integrity = run_process({"sqlite3", (w.dir / "state.db").string(), "PRAGMA integrity_check;"});
  CHECK(integrity.out == "ok\n");
}

TEST_CASE("forget: a source removed from the config is forgotten only when confirmed, never while configured") {
  World w;
  w.sheet(rows(3));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  const auto configured = w.pinsync({"forget", "--source", "acme", "--yes"});
  CHECK(configured.exit_code == 2);
  CHECK_CONTAINS(configured.err, "acme is still a source in the config");

  // The partner leaves: acme's entry is renamed away from the config.
  std::string text;
  {
    std::ifstream in(w.config);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  text.replace(text.find("- name: acme"), 12, "- name: beta");
  w.dir.write("pinsync.yaml", text);

  const auto unconfirmed = w.pinsync({"forget", "--source", "acme"});  // no terminal, no --yes
  CHECK(unconfirmed.exit_code == 2);
  CHECK_CONTAINS(unconfirmed.out, "acme: 3 rows (3 with an event) will be forgotten");
  CHECK_CONTAINS(unconfirmed.err, "not confirmed");
  const auto count = [&](const std::string& sql) {
    return run_process({"sqlite3", (w.dir / "state.db").string(), sql}).out;
  };
  CHECK(count("SELECT count(*) FROM source_rows WHERE source = 'acme';") == "3\n");

  const auto forgotten = w.pinsync({"forget", "--source", "acme", "--yes"});
  CHECK(forgotten.exit_code == 0);
  CHECK_CONTAINS(forgotten.out, "acme: forgotten");
  CHECK(count("SELECT count(*) FROM source_rows WHERE source = 'acme';") == "0\n");
  CHECK(count("SELECT count(*) FROM runs WHERE source = 'acme';") == "1\n");  // history stays
  CHECK(w.events()->size() == 3);  // Pinned Events is not touched
  CHECK_CONTAINS(w.pinsync({"forget", "--source", "acme", "--yes"}).out, "holds nothing");
}

namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes the world's config as `original` (its first text) with the CSV source read from
// `url` instead of partner.csv, plus `extra` lines under the source.
void use_url(World& w, std::string original, const std::string& url, const std::string& extra = "") {
  original.replace(original.find("path: partner.csv"), 17, "url: " + url + "\n" + extra);
  w.dir.write("pinsync.yaml", original);
}

}  // namespace

// Regression: "Publish to the web → CSV" links answer 307 to another Google host, and
// pinsync stopped with "answered HTTP 307".
TEST_CASE("published CSV links: the redirect is followed; a redirect loop and an oversized answer are named") {
  World w;
  const std::string base = w.sandbox.base_url();
  const std::string original = read_text(w.config);
  REQUIRE(http(base, "PUT", "/_sandbox/published/2PACX-abc", pinsync::test::k_csv_header + rows(3),
               {{"Content-Type", "text/csv"}})
              .status == 200);
  use_url(w, original, base + "/spreadsheets/d/e/2PACX-abc/pub?output=csv");
  const auto synced = w.pinsync({"sync"});
  CHECK(synced.exit_code == 0);
  CHECK_CONTAINS(synced.out, "3 created");
  CHECK(w.events()->size() == 3);

  use_url(w, original, base + "/spreadsheets/d/e/loop/pub?output=csv");
  const auto looping = w.pinsync({"sync"});
  CHECK(looping.exit_code != 0);
  CHECK_CONTAINS(looping.out, "redirect");

  // Regression: an endless CSV URL took pinsync to 2.1 GB; the read stops at max_bytes.
  REQUIRE(http(base, "PUT", "/_sandbox/published/big", pinsync::test::k_csv_header + rows(100),
               {{"Content-Type", "text/csv"}})
              .status == 200);
  use_url(w, original, base + "/spreadsheets/d/e/big/pub?output=csv", "    max_bytes: 2048\n");
  const auto big = w.pinsync({"sync"});
  CHECK(big.exit_code == 3);
  CHECK_CONTAINS(big.out, "is larger than max_bytes (2048 bytes)");
  CHECK(w.events()->size() == 3);
}

TEST_CASE("max_rows: a source with more rows than it should have stops, naming the limit") {
  World w;
  w.sheet(rows(5));
  std::string text;
  {
    std::ifstream in(w.config);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  text.replace(text.find("path: partner.csv"), 17, "path: partner.csv\n    max_rows: 4");
  w.dir.write("pinsync.yaml", text);
  const auto r = w.pinsync({"sync"});
  CHECK(r.exit_code == 3);
  CHECK_CONTAINS(r.out, "partner.csv has more than max_rows (4) rows");
  CHECK(w.posts() == 0);
}

TEST_CASE("resync --row names several rows (repeated or comma-separated); an unknown ID is an error with the closest IDs") {
  World w;
  w.sheet(rows(3));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  std::string edited = rows(3);
  for (const std::string n : {"1", "2", "3"}) {
    edited.replace(edited.find(",Show " + n + ","), 7 + n.size(), ",Edited " + n + ",");
  }
  w.sheet(edited);

  const auto two = w.pinsync({"resync", "--source", "acme", "--row", "E-1,E-2", "--local"});
  CHECK(two.exit_code == 0);
  CHECK_CONTAINS(two.out, "2 updated");
  CHECK(w.patches() == 2);
  CHECK(w.event_titled("Edited 1") != nullptr);
  CHECK(w.event_titled("Edited 2") != nullptr);
  CHECK(w.event_titled("Show 3") != nullptr);

  const auto repeated = w.pinsync({"resync", "--source", "acme", "--row", "E-3", "--row", "E-1", "--local"});
  CHECK(repeated.exit_code == 0);
  CHECK_CONTAINS(repeated.out, "1 updated, 1 unchanged");
  CHECK(w.patches() == 3);

  const auto typo = w.pinsync({"resync", "--source", "acme", "--row", "E-1", "--row", "e-22", "--local"});
  CHECK(typo.exit_code == 2);
  CHECK_CONTAINS(typo.out, "no row with ID \"e-22\" in acme (closest: E-2)");
  CHECK_CONTAINS(typo.out, "nothing was resynced");
  const auto json = w.pinsync({"resync", "--source", "acme", "--row", "X-9", "--local", "--json"});
  CHECK(json.exit_code == 2);
  CHECK_CONTAINS(json.out, R"("unknown_rows":["X-9"])");
  CHECK(w.patches() == 3);
}

TEST_CASE("resync --dead re-arms every dead row and sends it with its own key; a plain resync leaves them dead") {
  World w("  max_attempts: 1\n  retry_delay_seconds: 0\n");
  // A first pass over no rows: the new state file has looked for existing events (there were none).
  w.sheet("");
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  w.sheet(rows(3));
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"error_rate":1.0})").status == 200);
  const auto failing = w.pinsync({"sync"});
  CHECK(failing.exit_code == 5);
  CHECK_CONTAINS(failing.out, "acme: rows_not_synced — ");
  CHECK_CONTAINS(failing.out, "3 dead");
  REQUIRE(http(w.sandbox.base_url(), "POST", "/_sandbox/faults", R"({"error_rate":0})").status == 200);

  const auto plain = w.pinsync({"resync", "--source", "acme", "--local"});
  CHECK(plain.exit_code == 5);
  CHECK_CONTAINS(plain.out, "3 dead");
  CHECK(w.events()->size() == 0);

  // The keys the failed creates were sent with.
  const auto keys = run_process({"sqlite3", (w.dir / "state.db").string(),
                                 "SELECT idempotency_key FROM outbox ORDER BY idempotency_key;"});
  REQUIRE(std::count(keys.out.begin(), keys.out.end(), '\n') == 3);
  const auto revived = w.pinsync({"resync", "--source", "acme", "--dead", "--local"});
  CHECK(revived.exit_code == 0);
  CHECK_CONTAINS(revived.out, "acme: ok — 3 created");
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "3 unchanged");
  // Each row was sent again under the key it was first sent with.
  auto events = w.events();
  REQUIRE(events->size() == 3);
  std::vector<std::string> sent;
  for (unsigned i = 0; i < events->size(); ++i) sent.push_back(events->getObject(i)->getValue<std::string>("idempotencyKey"));
  std::sort(sent.begin(), sent.end());
  CHECK(keys.out == sent[0] + "\n" + sent[1] + "\n" + sent[2] + "\n");
}

TEST_CASE("pause and resume without an agent: the state file keeps the pause, a paused source makes no request") {
  World w;
  w.sheet(rows(2));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  w.sheet(rows(3));

  CHECK(w.pinsync({"pause"}).exit_code == 2);  // one source at a time
  const auto paused = w.pinsync({"pause", "--source", "acme", "--reason", "partner asked to stop until March"});
  CHECK(paused.exit_code == 0);
  CHECK_CONTAINS(paused.out, "acme: paused (in the state file; no agent is running)");

  const int requests_before = w.requests("GET", "/api/public/v1/classifications") + w.posts() + w.patches();
  const auto sync = w.pinsync({"sync"});
  CHECK(sync.exit_code == 0);  // paused on purpose: nothing went wrong
  CHECK_CONTAINS(sync.out, "acme: PAUSED — paused by an operator since ");
  CHECK_CONTAINS(sync.out, "partner asked to stop until March — pinsync resume --source acme ends the pause");
  // A resync does not end a person's pause either.
  CHECK_CONTAINS(w.pinsync({"resync", "--source", "acme", "--local"}).out, "PAUSED");
  CHECK(w.requests("GET", "/api/public/v1/classifications") + w.posts() + w.patches() == requests_before);
  CHECK(w.events()->size() == 2);

  const auto status = w.pinsync({"status"});
  CHECK(status.out.starts_with("NEED YOU — 1 of 1 source:\n  acme: PAUSED"));
  CHECK_CONTAINS(status.out, "PAUSED by an operator since ");
  CHECK_CONTAINS(status.out, "partner asked to stop until March — pinsync resume --source acme");
  CHECK_CONTAINS(w.pinsync({"status", "--json"}).out, R"("paused":{"by":"operator","since":")");

  const auto resumed = w.pinsync({"resume", "--source", "acme"});
  CHECK(resumed.exit_code == 0);
  CHECK_CONTAINS(resumed.out, "acme: resumed");
  CHECK_CONTAINS(w.pinsync({"resume", "--source", "acme"}).out, "acme: was not paused");
  CHECK_CONTAINS(w.pinsync({"sync"}).out, "acme: ok — 1 created");
  CHECK(w.events()->size() == 3);
  CHECK_CONTAINS(w.pinsync({"status", "--json"}).out, R"("paused":null)");
  CHECK(w.pinsync({"status"}).out.starts_with("FINE — nothing needs you (1 source)"));
}

TEST_CASE("history: the passes of a source, newest first, and every write of one row, from the state file") {
  World w;
  w.sheet(rows(2));
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);
  std::string edited = rows(2);
  edited.replace(edited.find(",Show 1,"), 8, ",Edited,");
  w.sheet(edited);
  REQUIRE(w.pinsync({"sync"}).exit_code == 0);

  const auto passes = w.pinsync({"history", "--source", "acme"});
  CHECK(passes.exit_code == 0);
  CHECK_CONTAINS(passes.out, "acme — the last 2 passes, newest first:");
  CHECK(passes.out.find("0 created, 1 updated") < passes.out.find("2 created, 0 updated"));
  CHECK_CONTAINS(w.pinsync({"history", "--limit", "1"}).out, "acme — the last 1 passes");
  CHECK(w.pinsync({"history", "--limit", "0"}).exit_code == 2);

  const auto row = w.pinsync({"history", "--row", "E-1"});
  CHECK(row.exit_code == 0);
  CHECK_CONTAINS(row.out, "acme row E-1 — every write, oldest first:");
  // Creates go out side by side, so E-1's event may be 1 or 2: the same one both times.
  const std::string event = std::to_string(w.event_titled("Edited")->getValue<int>("id"));
  const auto create = row.out.find("create  201  event " + event + "  request ");
  const auto update = row.out.find("update  200  event " + event + "  changed title  request ");
  CHECK(create != std::string::npos);
  CHECK(update != std::string::npos);
  CHECK(create < update);
  const auto json = w.pinsync({"history", "--row", "E-1", "--json"});
  CHECK_CONTAINS(json.out, R"("row":"E-1","writes":[{"at":")");
  CHECK_CONTAINS(json.out, R"("action":"create","http_status":201,"event_id":)" + event);
}
