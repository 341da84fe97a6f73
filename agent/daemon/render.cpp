#include "agent/daemon/render.h"

#include <date/date.h>

#include <cstdio>

#include "agent/daemon/attention.h"
#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

std::string iso_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "";
  return date::format("%FT%TZ", std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}});
}

// Prometheus label values escape backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

}  // namespace

std::string status_json(const std::vector<SourceStatus>& sources, const ReloadStatus& reload) {
  json::Writer w;
  w.begin_object().key("reload");
  if (reload.at == 0) {
    w.null();
  } else {
    w.begin_object().key("at").value(iso_time(reload.at)).key("ok").value(reload.ok);
    w.key("error");
    if (reload.ok) w.null();
    else w.value(reload.error);
    w.end_object();
  }
  w.key("sources").begin_array();
  for (const auto& s : sources) {
    w.begin_object();
    w.key("name").value(s.name).key("kind").value(s.kind);
    w.key("poll_interval_seconds").value(std::int64_t{s.poll_interval.count()});
    w.key("configured_poll_interval_seconds").value(std::int64_t{s.configured_poll_interval.count()});
    w.key("quota_note");
    if (s.quota_note.empty()) {
      w.null();
    } else {
      w.value(s.quota_note);
    }
    w.key("running").value(s.running);
    w.key("next_pass_at").value(iso_time(s.next_pass_at));
    w.key("last_pass");
    if (s.recent.empty()) {
      w.null();
    } else {
      const auto& p = s.recent.front();
      w.begin_object().key("trigger").value(p.trigger).key("started_at").value(iso_time(p.started_at));
      w.key("finished_at").value(iso_time(p.finished_at)).key("seconds").value(p.seconds);
      w.key("report");
      write_report_json(w, p.report, ReportRows::omitted);
      w.end_object();
    }
    w.key("last_success_at").value(iso_time(s.last_success_at));
    w.key("last_pass_at").begin_object();
    for (const auto& [result, at] : s.last_pass_at_by_result) w.key(to_string(result)).value(iso_time(at));
    w.end_object();
    w.key("last_error").value(s.last_error);
    w.key("paused_reason").value(s.paused_reason);
    w.key("paused");
    if (s.paused_reason.empty()) {
      w.null();
    } else {
      w.begin_object().key("by").value(s.paused_by).key("since").value(iso_time(s.paused_since));
      w.key("reason").value(s.paused_reason).end_object();
    }
    w.key("retry_queue_depth");
    if (s.retry_queue_depth) w.value(*s.retry_queue_depth);
    else w.null();
    w.key("rows").begin_object();
    for (const auto& [state, n] : s.rows_by_state) w.key(state).value(n);
    w.end_object();
    w.key("passes").begin_object();
    for (const auto& [result, n] : s.passes_by_result) w.key(to_string(result)).value(n);
    w.end_object();
    w.key("api_requests").value(s.api_requests);
    w.key("suspect_read");
    if (s.recent.empty() || s.recent.front().report.suspect.empty()) {
      w.null();
    } else {
      w.begin_object().key("at").value(iso_time(s.recent.front().finished_at));
      w.key("reason").value(s.recent.front().report.suspect).end_object();
    }
    w.key("needs_you").begin_array();
    for (const auto& n : needs_of(s)) {
      w.begin_object().key("kind").value(to_string(n.kind)).key("badge").value(n.badge);
      w.key("detail").value(n.detail).key("fix").value(n.command).end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

namespace {

// The agent's own metrics: which build this is, and the process as Prometheus client
// libraries describe it. A value the kernel did not give is left out, never 0.
std::string agent_metrics(const AgentFacts& agent) {
  std::string out =
      "# HELP pinsync_build_info The pinsync version and source revision serving these metrics (always 1).\n"
      "# TYPE pinsync_build_info gauge\n"
      "pinsync_build_info{version=\"" + label(agent.version) + "\",revision=\"" + label(agent.revision) + "\"} 1\n";
  const auto metric = [&out](const char* name, const char* type, const char* help, const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + value + "\n";
  };
  const ProcessStats& p = agent.process;
  if (p.cpu_seconds) metric("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                            number(*p.cpu_seconds));
  if (p.resident_bytes) metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                               std::to_string(*p.resident_bytes));
  if (p.virtual_bytes) metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                              std::to_string(*p.virtual_bytes));
  if (p.open_fds) metric("process_open_fds", "gauge", "Number of open file descriptors.", std::to_string(*p.open_fds));
  if (p.max_fds) metric("process_max_fds", "gauge", "Maximum number of open file descriptors.",
                        std::to_string(*p.max_fds));
  if (agent.reload.at > 0) {
    metric("pinsync_config_reload_success", "gauge",
           "1 when the last config reload (SIGHUP) succeeded, 0 when it failed and the agent runs on its old config.",
           agent.reload.ok ? "1" : "0");
    metric("pinsync_config_reload_timestamp_seconds", "gauge", "When the last config reload was tried (unix seconds).",
           std::to_string(agent.reload.at));
  }
  if (agent.started_at > 0) metric("process_start_time_seconds", "gauge",
                                   "Start time of the process since unix epoch in seconds.",
                                   std::to_string(agent.started_at));
  return out;
}

}  // namespace

std::string metrics_text(const std::vector<SourceStatus>& sources, const AgentFacts& agent) {
  std::string out = agent_metrics(agent);
  out += "# HELP pinsync_rows Rows in the state store by source and state.\n# TYPE pinsync_rows gauge\n";
  for (const auto& s : sources) {
    for (const auto st : state::k_row_states) {
      const auto it = s.rows_by_state.find(std::string(state::to_string(st)));
      out += "pinsync_rows{source=\"" + label(s.name) + "\",state=\"" + std::string(state::to_string(st)) + "\"} " +
             std::to_string(it == s.rows_by_state.end() ? 0 : it->second) + "\n";
    }
  }
  out += "# HELP pinsync_passes_total Passes finished by source and result.\n# TYPE pinsync_passes_total counter\n";
  for (const auto& s : sources) {
    for (const auto result : k_pass_results) {
      const auto it = s.passes_by_result.find(result);
      out += "pinsync_passes_total{source=\"" + label(s.name) + "\",result=\"" + std::string(to_string(result)) + "\"} " +
             std::to_string(it == s.passes_by_result.end() ? 0 : it->second) + "\n";
    }
  }
  out += "# HELP pinsync_pass_duration_seconds How long passes took.\n"
         "# TYPE pinsync_pass_duration_seconds histogram\n";
  for (const auto& s : sources) {
    std::int64_t cumulative = 0;
    for (std::size_t i = 0; i <= k_duration_bucket_count; ++i) {
      cumulative += s.duration_counts[i];
      const std::string le = i < k_duration_bucket_count ? number(k_duration_buckets[i]) : "+Inf";
      out += "pinsync_pass_duration_seconds_bucket{source=\"" + label(s.name) + "\",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "pinsync_pass_duration_seconds_sum{source=\"" + label(s.name) + "\"} " + number(s.duration_sum) + "\n";
    out += "pinsync_pass_duration_seconds_count{source=\"" + label(s.name) + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  out += "# HELP pinsync_last_success_timestamp_seconds When the last successful pass finished: the source "
         "was read and every valid row synced (0: never).\n"
         "# TYPE pinsync_last_success_timestamp_seconds gauge\n";
  for (const auto& s : sources) {
    out += "pinsync_last_success_timestamp_seconds{source=\"" + label(s.name) + "\"} " +
           std::to_string(s.last_success_at) + "\n";
  }
  out += "# HELP pinsync_last_pass_timestamp_seconds When the last pass with each result finished (0: never).\n"
         "# TYPE pinsync_last_pass_timestamp_seconds gauge\n";
  for (const auto& s : sources) {
    for (const auto result : k_pass_results) {
      const auto it = s.last_pass_at_by_result.find(result);
      out += "pinsync_last_pass_timestamp_seconds{source=\"" + label(s.name) + "\",result=\"" +
             std::string(to_string(result)) + "\"} " +
             std::to_string(it == s.last_pass_at_by_result.end() ? 0 : it->second) + "\n";
    }
  }
  out += "# HELP pinsync_poll_interval_seconds How often the source is read now, so that a rule can tell stale "
         "from slow.\n"
         "# TYPE pinsync_poll_interval_seconds gauge\n";
  for (const auto& s : sources) {
    out += "pinsync_poll_interval_seconds{source=\"" + label(s.name) + "\"} " +
           std::to_string(s.poll_interval.count()) + "\n";
  }
  out += "# HELP pinsync_api_requests_total HTTP requests sent, by source, API, route template and status "
         "(status \"error\": no response).\n"
         "# TYPE pinsync_api_requests_total counter\n";
  for (const auto& s : sources) {
    for (const auto& r : s.requests) {
      out += "pinsync_api_requests_total{source=\"" + label(s.name) + "\",api=\"" + label(r.api) + "\",route=\"" +
             label(r.route) + "\",status=\"" + label(r.status) + "\"} " + std::to_string(r.count) + "\n";
    }
  }
  out += "# HELP pinsync_source_paused 1 while the source is paused: by pinsync (its key or access was refused) "
         "or by an operator (pinsync pause).\n"
         "# TYPE pinsync_source_paused gauge\n";
  for (const auto& s : sources) {
    out += "pinsync_source_paused{source=\"" + label(s.name) + "\"} " + (s.paused_reason.empty() ? "0" : "1") + "\n";
  }
  out += "# HELP pinsync_source_paused_by_operator 1 while the source is paused with pinsync pause.\n"
         "# TYPE pinsync_source_paused_by_operator gauge\n";
  for (const auto& s : sources) {
    out += "pinsync_source_paused_by_operator{source=\"" + label(s.name) + "\"} " +
           (s.paused_by == "operator" ? "1" : "0") + "\n";
  }
  out += "# HELP pinsync_suspect_read_held 1 while the source's last read looked wrong and its removals are held "
         "back (until a normal read or resync --accept-removals).\n"
         "# TYPE pinsync_suspect_read_held gauge\n";
  for (const auto& s : sources) {
    const bool held = !s.recent.empty() && !s.recent.front().report.suspect.empty();
    out += "pinsync_suspect_read_held{source=\"" + label(s.name) + "\"} " + (held ? "1" : "0") + "\n";
  }
  out += "# HELP pinsync_source_needs_action 1 while the source needs a person (paused, stopped, a suspect read "
         "held, dead, held or failed rows): the status page lists it under \"Need you\".\n"
         "# TYPE pinsync_source_needs_action gauge\n";
  for (const auto& s : sources) {
    out += "pinsync_source_needs_action{source=\"" + label(s.name) + "\"} " + (needs_of(s).empty() ? "0" : "1") +
           "\n";
  }
  bool depth_header = false;
  for (const auto& s : sources) {
    if (!s.retry_queue_depth) continue;
    if (!depth_header) {
      out += "# HELP pinsync_retry_queue_depth Writes waiting in the retry queue.\n"
             "# TYPE pinsync_retry_queue_depth gauge\n";
      depth_header = true;
    }
    out += "pinsync_retry_queue_depth{source=\"" + label(s.name) + "\"} " + std::to_string(*s.retry_queue_depth) + "\n";
  }
  return out;
}

}  // namespace pinsync::agent
