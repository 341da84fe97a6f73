#include "agent/alerts/alerts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "core/json_writer.h"

namespace pinsync::agent {

namespace {

std::string_view health_name(SourceHealth h) {
  switch (h) {
    case SourceHealth::ok: return "ok";
    case SourceHealth::stopped: return "stopped";
    case SourceHealth::paused: return "paused";
  }
  return "ok";
}

SourceHealth health_from(std::string_view name) {
  if (name == "stopped") return SourceHealth::stopped;
  if (name == "paused") return SourceHealth::paused;
  return SourceHealth::ok;
}

// Stop messages usually lead with "acme: "; the alert says the source name once.
std::string without_source(const std::string& source, std::string reason) {
  if (reason.starts_with(source + ": ")) reason.erase(0, source.size() + 2);
  return reason;
}

bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::transient || kind == ErrorKind::timeout || kind == ErrorKind::rate_limited;
}

// One message for rows that newly entered one state: the first k_rows_per_alert named.
std::string rows_text(const std::string& source, const std::vector<const BadRow*>& rows, std::string_view what) {
  std::string text;
  if (rows.size() == 1) {
    const BadRow& r = *rows.front();
    text = source + ", " + r.row_ref + (r.source_id.empty() || state::is_placeholder_id(r.source_id) ? "" : " (" + r.source_id + ")") +
           ": " + std::string(what) + " — " + r.reason;
    return text;
  }
  text = source + ": " + std::to_string(rows.size()) + " rows " + std::string(what) + ":";
  for (std::size_t i = 0; i < rows.size() && i < k_rows_per_alert; ++i) {
    const BadRow& r = *rows[i];
    text += "\n• " + r.row_ref + (r.source_id.empty() || state::is_placeholder_id(r.source_id) ? "" : " (" + r.source_id + ")") +
            ": " + r.reason;
  }
  if (rows.size() > k_rows_per_alert) text += "\n… and " + std::to_string(rows.size() - k_rows_per_alert) + " more";
  return text;
}

// What each bad state means to the ops person, and its alert kind.
struct StateWords {
  std::string_view state;
  std::string_view kind;
  std::string_view what;
};
constexpr StateWords k_state_words[] = {
    {"invalid", "rows_invalid", "newly invalid (fix the cells; the next sync sends them)"},
    {"needs_review", "rows_held", "held for review (check the event in Pinned Events, then pinsync resync --row ID)"},
    {"gone", "rows_held",
     "held: the event was deleted in Pinned Events (pinsync resync --row ID --recreate creates it again, --forget "
     "lets it go)"},
    {"dead", "rows_dead", "gave up after every retry (see pinsync errors; pinsync resync --row ID tries again)"},
};

}  // namespace

PassHealth pass_health(const PassReport& report, state::Store* store) {
  PassHealth h;
  h.source = report.source;
  h.suspect_pass = report.suspect;
  if (report.stopped) {
    h.health = report.paused ? SourceHealth::paused : SourceHealth::stopped;
    h.reason = report.stopped->message;
    h.transient = is_transient(report.stopped->kind);
  }
  if (store == nullptr) return h;
  auto rows = store->rows(report.source);
  if (!rows) return h;  // the pass itself reports store trouble
  for (const auto& r : *rows) {
    using state::RowState;
    if (r.state != RowState::invalid && r.state != RowState::needs_review && r.state != RowState::gone &&
        r.state != RowState::dead) {
      continue;
    }
    h.bad_rows.push_back({r.source_id, r.row_ref, std::string(state::to_string(r.state)), r.error_reason});
  }
  return h;
}

Alerter::Alerter(std::vector<std::unique_ptr<AlertSink>> sinks, std::filesystem::path memory_file, Logger& log)
    : m_sinks(std::move(sinks)), m_file(std::move(memory_file)), m_log(log) {
  load();
}

std::unique_ptr<Alerter> Alerter::from_config(const Config& config, Logger& log, TransportFactory transports,
                                              Clock& clock) {
  if (!config.alerts.any()) return nullptr;
  std::vector<std::unique_ptr<AlertSink>> sinks;
  if (!config.alerts.webhook_url.empty()) {
    log.add_secret(config.alerts.webhook_url);
    sinks.push_back(make_webhook_sink(config.alerts.webhook_url, config.alerts.timeout, std::move(transports)));
  }
  if (!config.alerts.command.empty()) sinks.push_back(make_command_sink(config.alerts.command, config.alerts.timeout, clock));
  return std::make_unique<Alerter>(std::move(sinks), config.state_path.string() + ".alerts.json", log);
}

std::vector<Alert> Alerter::observe(const PassHealth& h) {
  std::vector<Alert> out;
  std::lock_guard lock(m_mutex);
  SourceMemory& mem = m_sources[h.source];
  const SourceMemory before = mem;

  // Source health: a stop or pause once, its recovery once. A transient stop (network,
  // 5xx) often heals by the next poll, so it waits for a few stopped passes in a row.
  if (h.health == SourceHealth::ok) {
    if (mem.alerted) out.push_back({h.source, "source_recovered", h.source + ": recovered — syncing again"});
    mem.alerted = false;
    mem.stops_in_row = 0;
  } else {
    ++mem.stops_in_row;
    const bool due = !h.transient || mem.stops_in_row >= k_transient_stops_before_alert;
    const bool changed = !mem.alerted || mem.health != h.health;
    if (due && changed) {
      const std::string reason = without_source(h.source, h.reason);
      if (h.health == SourceHealth::paused) {
        out.push_back({h.source, "source_paused",
                       h.source + ": paused — " + reason + ". Nothing is sent until this is fixed; the next poll resumes by itself."});
      } else {
        std::string text = h.source + ": stopped — " + reason;
        if (h.transient) text += " (" + std::to_string(mem.stops_in_row) + " passes in a row)";
        out.push_back({h.source, "source_stopped", text});
      }
      mem.alerted = true;
    }
  }
  mem.health = h.health;

  // Rows: only those that entered a bad state since the last pass; rows that left it are
  // forgotten, so they alert again if they turn bad again. A stopped pass saw no rows.
  if (h.health == SourceHealth::ok) {
    std::set<std::string> now;
    std::map<std::string_view, std::vector<const BadRow*>> fresh_by_kind;
    std::map<std::string_view, std::string_view> what_of_kind;
    for (const auto& r : h.bad_rows) {
      const std::string key = r.state + "\t" + r.source_id;
      now.insert(key);
      if (mem.bad.contains(key)) continue;
      for (const auto& w : k_state_words) {
        if (w.state != r.state) continue;
        // One message per state: "held for review" and "event deleted" read differently.
        fresh_by_kind[w.state].push_back(&r);
        what_of_kind[w.state] = w.what;
      }
    }
    for (const auto& w : k_state_words) {
      const auto it = fresh_by_kind.find(w.state);
      if (it == fresh_by_kind.end()) continue;
      out.push_back({h.source, std::string(w.kind), rows_text(h.source, it->second, w.what)});
    }
    mem.bad = std::move(now);
  }

  if (!h.suspect_pass.empty() && !mem.suspect) {
    out.push_back({h.source, "pass_held", h.source + ": a suspect pass was held back — " + h.suspect_pass});
  } else if (h.suspect_pass.empty() && mem.suspect && h.health == SourceHealth::ok) {
    out.push_back({h.source, "pass_recovered", h.source + ": passes look normal again; nothing is held back"});
  }
  if (h.health == SourceHealth::ok || !h.suspect_pass.empty()) mem.suspect = !h.suspect_pass.empty();

  if (mem.health != before.health || mem.alerted != before.alerted || mem.bad != before.bad ||
      mem.suspect != before.suspect || mem.stops_in_row != before.stops_in_row) {
    save();
  }
  return out;
}

std::vector<Alert> Alerter::report(const PassHealth& health) {
  auto alerts = observe(health);
  for (const auto& alert : alerts) {
    m_log.warn("alert", {{"source", alert.source}, {"action", alert.kind}, {"reason", alert.text}});
    for (const auto& sink : m_sinks) {
      if (auto sent = sink->deliver(alert); !sent) {
        m_log.error("alert not delivered", {{"source", alert.source}, {"action", alert.kind},
                                            {"reason", sent.error().message}});
      }
    }
  }
  return alerts;
}

void Alerter::load() {
  if (m_file.empty() || !std::filesystem::exists(m_file)) return;
  try {
    std::ifstream in(m_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto root = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    auto sources = root->getObject("sources");
    if (!sources) return;
    for (const auto& name : sources->getNames()) {
      auto s = sources->getObject(name);
      if (!s) continue;
      SourceMemory mem;
      mem.health = health_from(s->optValue<std::string>("health", "ok"));
      mem.alerted = s->optValue<bool>("alerted", false);
      mem.stops_in_row = s->optValue<int>("stops_in_row", 0);
      mem.suspect = s->optValue<bool>("suspect", false);
      if (auto bad = s->getArray("bad")) {
        for (std::size_t i = 0; i < bad->size(); ++i) mem.bad.insert(bad->getElement<std::string>(static_cast<unsigned>(i)));
      }
      m_sources[name] = std::move(mem);
    }
  } catch (const Poco::Exception& e) {
    m_log.warn("alert memory unreadable; alerts start afresh", {{"file", m_file.string()}, {"reason", e.displayText()}});
    m_sources.clear();
  } catch (const std::exception& e) {
    m_log.warn("alert memory unreadable; alerts start afresh", {{"file", m_file.string()}, {"reason", e.what()}});
    m_sources.clear();
  }
}

void Alerter::save() {
  if (m_file.empty()) return;
  json::Writer w;
  w.begin_object().key("sources").begin_object();
  for (const auto& [name, mem] : m_sources) {
    w.key(name).begin_object();
    w.key("health").value(health_name(mem.health)).key("alerted").value(mem.alerted);
    w.key("stops_in_row").value(std::int64_t{mem.stops_in_row}).key("suspect").value(mem.suspect);
    w.key("bad").begin_array();
    for (const auto& b : mem.bad) w.value(b);
    w.end_array().end_object();
  }
  w.end_object().end_object();
  const std::string text = w.take() + "\n";
  // Written beside the state file and renamed over the old one, so a crash leaves either
  // the old or the new memory, never half of one; 0600 like the state file (row reasons
  // can quote cells).
  const std::string tmp = m_file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  if (ok) {
    std::size_t off = 0;
    while (ok && off < text.size()) {
      const auto n = ::write(fd, text.data() + off, text.size() - off);
      if (n < 0) ok = false;
      else off += static_cast<std::size_t>(n);
    }
    ok = ::fsync(fd) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
  }
  if (!ok || ::rename(tmp.c_str(), m_file.c_str()) != 0) {
    m_log.warn("cannot save the alert memory; a restart may repeat alerts", {{"file", m_file.string()}});
    ::unlink(tmp.c_str());
  }
}

}  // namespace pinsync::agent
