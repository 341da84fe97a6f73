// The admin endpoint's texts, without processes.
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <string>

#include "agent/daemon/page.h"
#include "agent/daemon/render.h"

using namespace pinsync::agent;

TEST_CASE("admin render: HTML escapes every text; metrics count cumulative buckets") {
  SourceStatus s;
  s.name = "a<b>&\"c\"";
  s.kind = "csv";
  s.last_error = "<script>alert(1)</script>";
  PassRecord p;
  p.result = PassResult::ok;
  p.seconds = 0.7;
  s.recent.push_back(p);
  s.duration_counts[1] = 1;  // one pass in (0.1, 0.5]
  s.duration_counts[2] = 2;  // two in (0.5, 1]
  pinsync::state::RowRecord r;
  r.row_ref = "row 3";
  r.source_id = "E-<1>";
  r.state = pinsync::state::RowState::invalid;
  r.error_reason = "date \"31/31\" & more";
  s.problem_rows.push_back(r);
  const std::string html = status_html({s});
  CHECK_NOT_CONTAINS(html, "<script>alert");
  CHECK_CONTAINS(html, "&lt;script&gt;");
  CHECK_CONTAINS(html, "a&lt;b&gt;&amp;&quot;c&quot;");
  CHECK_CONTAINS(html, "E-&lt;1&gt;");
  CHECK_CONTAINS(html, "date &quot;31/31&quot; &amp; more");

  const std::string m = metrics_text({s}, AgentFacts{});
  CHECK_CONTAINS(m, "pinsync_pass_duration_seconds_bucket{source=\"a<b>&\\\"c\\\"\",le=\"0.1\"} 0\n");
  CHECK_CONTAINS(m, "le=\"0.5\"} 1\n");
  CHECK_CONTAINS(m, "le=\"1\"} 3\n");
  CHECK_CONTAINS(m, "le=\"+Inf\"} 3\n");
  CHECK_CONTAINS(m, "pinsync_pass_duration_seconds_count{source=\"a<b>&\\\"c\\\"\"} 3\n");
  // Every result has its counter, zero or not.
  for (const auto result : k_pass_results) {
    CHECK_CONTAINS(m, std::string("result=\"") + std::string(to_string(result)) + "\"} 0\n");
  }
}

TEST_CASE("admin render: build info and the process metrics, each only when known") {
  AgentFacts agent{"0.1.0", "abc\"def", 1'780'000'000, {}, {}};
  agent.process.cpu_seconds = 1.25;
  agent.process.resident_bytes = 12'345'678;
  agent.process.open_fds = 9;
  const std::string m = metrics_text({}, agent);
  CHECK_CONTAINS(m, "# TYPE pinsync_build_info gauge\npinsync_build_info{version=\"0.1.0\",revision=\"abc\\\"def\"} 1\n");
  CHECK_CONTAINS(m, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.25\n");
  CHECK_CONTAINS(m, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 12345678\n");
  CHECK_CONTAINS(m, "process_open_fds 9\n");
  CHECK_CONTAINS(m, "process_start_time_seconds 1780000000\n");
  // Not read from the kernel: left out rather than reported as 0.
  CHECK_NOT_CONTAINS(m, "process_virtual_memory_bytes");
  CHECK_NOT_CONTAINS(m, "process_max_fds");
  CHECK_NOT_CONTAINS(metrics_text({}, AgentFacts{}), "process_start_time_seconds");
}

TEST_CASE("admin render: a failed config reload shows in /status, /metrics and on the page; none since start shows nothing") {
  CHECK_CONTAINS(status_json({}), R"({"reload":null,"sources":[]})");
  CHECK_NOT_CONTAINS(metrics_text({}, AgentFacts{}), "pinsync_config_reload");
  CHECK_NOT_CONTAINS(status_html({}), "reload");

  const ReloadStatus failed{1'780'000'000, false, "pinsync.yaml:3: pinned.base_url: not a URL <b>"};
  CHECK_CONTAINS(status_json({}, failed),
                 R"("reload":{"at":"2026-05-28T20:26:40Z","ok":false,"error":"pinsync.yaml:3: pinned.base_url: not a URL <b>"})");
  AgentFacts agent;
  agent.reload = failed;
  const std::string m = metrics_text({}, agent);
  CHECK_CONTAINS(m, "# TYPE pinsync_config_reload_success gauge\npinsync_config_reload_success 0\n");
  CHECK_CONTAINS(m, "pinsync_config_reload_timestamp_seconds 1780000000\n");
  const std::string page = status_html({}, failed);
  CHECK_CONTAINS(page, "FAILED; the agent runs on its old config: pinsync.yaml:3: pinned.base_url: not a URL &lt;b&gt;");

  const ReloadStatus ok{1'780'000'100, true, ""};
  CHECK_CONTAINS(status_json({}, ok), R"("reload":{"at":"2026-05-28T20:28:20Z","ok":true,"error":null})");
  agent.reload = ok;
  CHECK_CONTAINS(metrics_text({}, agent), "pinsync_config_reload_success 1\n");
  CHECK_NOT_CONTAINS(status_html({}, ok), "FAILED");
}

TEST_CASE("process stats: this test process has resident memory, CPU time and open descriptors") {
  const auto stats = pinsync::read_process_stats();
  REQUIRE(stats.resident_bytes);
  CHECK(*stats.resident_bytes > 1024 * 1024);
  REQUIRE(stats.virtual_bytes);
  CHECK(*stats.virtual_bytes >= *stats.resident_bytes);
  REQUIRE(stats.cpu_seconds);
  CHECK(*stats.cpu_seconds >= 0);
  REQUIRE(stats.open_fds);
  CHECK(*stats.open_fds >= 3);  // stdin, stdout, stderr
  REQUIRE(stats.max_fds);
  CHECK(*stats.max_fds >= *stats.open_fds);
}

TEST_CASE("admin render: the page counts the removed rows whose events on_removed: draft took down") {
  SourceStatus s;
  s.name = "acme";
  s.kind = "csv";
  s.rows_by_state = {{"removed", 3}, {"synced", 10}};
  CHECK_NOT_CONTAINS(status_html({s}), "taken down");
  s.events_taken_down = 2;
  CHECK_CONTAINS(status_html({s}), "removed 3; synced 10; of the removed, 2 with their events taken down to draft;");
}
