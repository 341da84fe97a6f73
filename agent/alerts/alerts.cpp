#include "agent/alerts/alerts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "agent/mapping/mapped_row.h"
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

// Orders row references as a person reads them: "acme.csv:9" before "acme.csv:10".
bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      const std::size_t i0 = i, j0 = j;
      while (i < a.size() && digit(a[i])) ++i;
      while (j < b.size() && digit(b[j])) ++j;
      std::string_view x = a.substr(i0, i - i0), y = b.substr(j0, j - j0);
      while (x.size() > 1 && x.front() == '0') x.remove_prefix(1);
      while (y.size() > 1 && y.front() == '0') y.remove_prefix(1);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

// The rows in the order of the sheet (by row reference), as the alert lists them.
std::vector<const BadRow*> in_sheet_order(std::vector<const BadRow*> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const BadRow* x, const BadRow* y) { return natural_less(x->row_ref, y->row_ref); });
  return rows;
}

std::string row_name(const BadRow& r) {
  return r.row_ref + (r.source_id.empty() || state::is_placeholder_id(r.source_id) ? "" : " (" + r.source_id + ")");
}

// The part of a stored reason a row line shows: for a dead row the cause alone (the header
// says it gave up, and what resends it), never "will be resent", which it no longer is.
std::string shown_reason(const BadRow& r) {
  std::string reason = r.reason;
  if (r.state == "dead") {
    for (const std::string_view tail : {std::string_view(" — will be resent"), std::string_view(" — gave up after")}) {
      if (const auto at = reason.find(tail); at != std::string::npos) reason.erase(at);
    }
  }
  return reason;
}

// Names rows, the first k_rows_per_alert, then counts how many more.
std::string row_list(const std::vector<const BadRow*>& rows) {
  std::string text;
  for (std::size_t i = 0; i < rows.size() && i < k_rows_per_alert; ++i) text += (i == 0 ? "" : ", ") + row_name(*rows[i]);
  if (rows.size() > k_rows_per_alert) text += " and " + std::to_string(rows.size() - k_rows_per_alert) + " more";
  return text;
}

std::string count_rows(std::size_t n) { return std::to_string(n) + (n == 1 ? " row" : " rows"); }

// The fix of an invalid row's cause, in the words of the alert.
std::string fix_words(const InvalidCause& cause) {
  if (cause.fix_in == InvalidCause::FixIn::cells) return "fix the cells";
  if (cause.fix_in == InvalidCause::FixIn::event) return "look at the event in Pinned Events, then resync the row";
  return "fix the config (" + cause.fix + ")" + (cause.cells_too ? " and the cells" : "");
}

// Newly invalid rows, grouped by cause: causes in the config first (one edit fixes every
// row of the group), then the most rows first.
std::string invalid_text(const std::string& source, const std::vector<const BadRow*>& rows) {
  if (rows.size() == 1) {
    const BadRow& r = *rows.front();
    const auto cause = invalid_cause(r);
    if (cause.fix_in == InvalidCause::FixIn::event) return source + ", " + row_name(r) + ": " + r.reason;
    return source + ", " + row_name(r) + ": newly invalid — " + r.reason + " — " + fix_words(cause) +
           "; the next sync sends it";
  }
  struct Group {
    InvalidCause cause;
    std::vector<const BadRow*> rows;
  };
  std::vector<Group> groups;
  for (const BadRow* r : rows) {
    InvalidCause cause = invalid_cause(*r);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.cause.what == cause.what && g.cause.fix_in == cause.fix_in && g.cause.cells_too == cause.cells_too;
    });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{std::move(cause), {}});
    it->rows.push_back(r);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.cause.fix_in != b.cause.fix_in) return a.cause.fix_in == InvalidCause::FixIn::config;
    return a.rows.size() > b.rows.size();
  });
  std::string text = source + ": " + count_rows(rows.size()) + " newly invalid; the next sync sends each once fixed:";
  for (const auto& g : groups) {
    text += "\n• " + count_rows(g.rows.size()) + ": " + g.cause.what + " — " + fix_words(g.cause) + ": " + row_list(g.rows);
  }
  return text;
}

// Rows that newly entered one state needing a person (held, dead): `what` once, then each
// row with its reason, the first k_rows_per_alert named.
std::string rows_text(const std::string& source, const std::vector<const BadRow*>& rows, std::string_view what) {
  if (rows.size() == 1) {
    const BadRow& r = *rows.front();
    return source + ", " + row_name(r) + ": " + std::string(what) + " — " + shown_reason(r);
  }
  std::string text = source + ": " + count_rows(rows.size()) + " " + std::string(what) + ":";
  for (std::size_t i = 0; i < rows.size() && i < k_rows_per_alert; ++i) {
    text += "\n• " + row_name(*rows[i]) + ": " + shown_reason(*rows[i]);
  }
  if (rows.size() > k_rows_per_alert) {
    text += "\n… and " + std::to_string(rows.size() - k_rows_per_alert) + " more (pinsync errors --source " + source + ")";
  }
  return text;
}

// What each bad state means to the ops person, and its alert kind. {source} in `what`
// becomes the source's name.
struct StateWords {
  std::string_view state;
  std::string_view kind;
  std::string_view what;
};
constexpr StateWords k_state_words[] = {
    {"invalid", "rows_invalid", "newly invalid"},
    {"needs_review", "rows_held", "held for review (check the event in Pinned Events, then pinsync resync --source {source} --row ID)"},
    {"gone", "rows_held",
     "held: the event was deleted in Pinned Events (pinsync resync --source {source} --row ID --recreate creates it "
     "again, --forget lets it go)"},
    {"dead", "rows_dead",
     "dead: every retry failed and nothing more is sent by itself — once the cause is fixed, pinsync resync "
     "--source {source} --dead sends them again"},
};

std::string with_source(std::string_view what, const std::string& source) {
  std::string out(what);
  for (auto at = out.find("{source}"); at != std::string::npos; at = out.find("{source}", at + source.size())) {
    out.replace(at, 8, source);
  }
  return out;
}

// A refused key's alert: what Pinned Events answered, without the request's route (an API
// path helps nobody on call), and the one fix.
std::string paused_text(const std::string& source, const std::string& reason) {
  std::string answer = reason;
  // "Pinned Events POST /api/public/v1/events: answered 401 …" → "Pinned Events answered 401 …"
  if (answer.starts_with("Pinned Events ")) {
    if (const auto at = answer.find(": answered "); at != std::string::npos) answer = "Pinned Events" + answer.substr(at + 1);
  }
  // The client's own advice follows " — "; the alert gives its own, once.
  if (const auto at = answer.find(" — "); at != std::string::npos) answer.erase(at);
  std::string fix;
  if (answer.find("insufficient_scope") != std::string::npos) {
    fix = "give the key the scope named above in Pinned Events, then pinsync resync --source " + source;
  } else if (answer.find(" 401") != std::string::npos) {
    fix = "put a valid key in the variable pinned.api_key names (the service's environment file) and restart "
          "pinsync; a new key resumes the source by itself";
  } else {
    fix = "pinsync channels lists the channels the key can use: set the source's channel_id to one of them (a "
          "changed channel resumes it by itself), or give the key access to this one and pinsync resync --source " +
          source;
  }
  return source + ": paused — " + answer + ". Nothing is sent until it is fixed: " + fix + ".";
}

std::string between(const std::string& text, std::size_t from, std::string_view end_marker) {
  const auto end = text.find(end_marker, from);
  return end == std::string::npos ? text.substr(from) : text.substr(from, end - from);
}

}  // namespace

namespace {

// True when a stored reason (its errors joined by "; ", each "Field: what") has an error
// that is a cell's, not the config's.
bool has_cell_error(std::string_view reason) {
  while (!reason.empty()) {
    const auto end = reason.find("; ");
    const std::string_view piece = reason.substr(0, end);
    // A piece without "Field: " continues the one before ("…; known cities are …").
    const bool error = piece.find(": ") != std::string_view::npos;
    const bool config = piece.find(k_fix_add_city) != std::string_view::npos ||
                        piece.find(k_fix_map_classification) != std::string_view::npos;
    if (error && !config) return true;
    if (end == std::string_view::npos) break;
    reason.remove_prefix(end + 2);
  }
  return false;
}

InvalidCause config_cause(const std::string& reason, std::string what, std::string_view fix) {
  return {InvalidCause::FixIn::config, std::move(what), std::string(fix), has_cell_error(reason)};
}

}  // namespace

InvalidCause invalid_cause(const BadRow& row) {
  const std::string& reason = row.reason;
  if (reason.starts_with(k_take_down_refused)) {
    return {InvalidCause::FixIn::event, "Pinned Events refused to take the event down to draft", "", false};
  }
  if (reason.find(k_fix_add_city) != std::string::npos) {
    if (const auto at = reason.find("unknown city "); at != std::string::npos) {
      return config_cause(reason, between(reason, at, ": known cities"), k_fix_add_city);
    }
  }
  if (reason.find(k_fix_map_classification) != std::string::npos) {
    if (const auto at = reason.find(" becomes the classification "); at != std::string::npos) {
      const auto label_at = reason.rfind(": ", at);
      const auto from = label_at == std::string::npos ? 0 : label_at + 2;
      return config_cause(reason,
                          "classification " + reason.substr(from, at - from) + " is not mapped to a slug Pinned Events knows",
                          k_fix_map_classification);
    }
  }
  // The first problem, its cell's value left out: `Date: "…" is not a date` for every bad date.
  std::string what = reason.substr(0, reason.find("; "));
  if (!row.value.empty()) {
    const std::string quoted = "\"" + row.value + "\"";
    for (auto at = what.find(quoted); at != std::string::npos; at = what.find(quoted, at + 3)) what.replace(at, quoted.size(), "\"…\"");
  }
  return {InvalidCause::FixIn::cells, what, "", false};
}

PassHealth pass_health(const PassReport& report, state::Store* store) {
  PassHealth h;
  h.source = report.source;
  h.suspect_pass = report.suspect;
  for (const auto& row : report.rows) {
    if (row.action == RowAction::unpublished) h.taken_down.push_back({row.source_id, row.row_ref, "removed", row.detail, "", ""});
    if (row.action == RowAction::republished) h.brought_back.push_back({row.source_id, row.row_ref, "synced", row.detail, "", ""});
  }
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
    h.bad_rows.push_back({r.source_id, r.row_ref, std::string(state::to_string(r.state)), r.error_reason,
                          r.error_field, r.error_value});
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
  auto alerter = std::make_unique<Alerter>(std::move(sinks), config.state_path.string() + ".alerts.json", log);
  // Port 0 is the system's pick, known only once the endpoint listens: no link then.
  if (config.agent.admin_port && *config.agent.admin_port != 0) {
    alerter->set_status_page("http://127.0.0.1:" + std::to_string(*config.agent.admin_port) + "/");
  }
  return alerter;
}

void Alerter::set_status_page(std::string url) {
  std::lock_guard lock(m_mutex);
  m_status_page = std::move(url);
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
        out.push_back({h.source, "source_paused", paused_text(h.source, reason)});
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
    for (const auto& r : h.bad_rows) {
      const std::string key = r.state + "\t" + r.source_id;
      now.insert(key);
      if (mem.bad.contains(key)) continue;
      for (const auto& w : k_state_words) {
        if (w.state != r.state) continue;
        // One message per state: "held for review" and "event deleted" read differently.
        fresh_by_kind[w.state].push_back(&r);
      }
    }
    for (const auto& w : k_state_words) {
      const auto it = fresh_by_kind.find(w.state);
      if (it == fresh_by_kind.end()) continue;
      const auto rows = in_sheet_order(it->second);
      out.push_back({h.source, std::string(w.kind),
                     w.state == "invalid" ? invalid_text(h.source, rows)
                                          : rows_text(h.source, rows, with_source(w.what, h.source))});
    }
    mem.bad = std::move(now);
  }

  // Events taken down or brought back: news of this pass, one message each way.
  auto group = [&](const std::vector<BadRow>& rows, std::string_view kind, std::string_view what) {
    if (rows.empty()) return;
    std::vector<const BadRow*> named;
    for (const auto& r : rows) named.push_back(&r);
    out.push_back({h.source, std::string(kind), rows_text(h.source, named, what)});
  };
  group(h.taken_down, "events_unpublished", "taken down to draft (on_removed: draft)");
  group(h.brought_back, "events_republished", "brought back");

  if (!h.suspect_pass.empty() && !mem.suspect) {
    out.push_back({h.source, "pass_held", h.source + ": a suspect pass was held back — " + h.suspect_pass});
  } else if (h.suspect_pass.empty() && mem.suspect && h.health == SourceHealth::ok) {
    out.push_back({h.source, "pass_recovered", h.source + ": passes look normal again; nothing is held back"});
  }
  if (h.health == SourceHealth::ok || !h.suspect_pass.empty()) mem.suspect = !h.suspect_pass.empty();
  // Every alert that asks for a person ends with where to look.
  if (!m_status_page.empty()) {
    for (auto& alert : out) {
      if (alert.kind != "source_recovered" && alert.kind != "pass_recovered") alert.text += "\nStatus page: " + m_status_page;
    }
  }

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
