#include "agent/sync/report.h"

#include <simdjson.h>

#include <array>
#include <ostream>
#include <sstream>
#include <utility>

namespace pinsync::agent {

namespace {

// How much report text is gathered before it is written out (write_reports_json).
constexpr std::size_t k_stream_piece = 64 * 1024;

constexpr std::array<std::pair<PassResult, std::string_view>, 5> k_result_names = {{
    {PassResult::ok, "ok"},
    {PassResult::rows_not_synced, "rows_not_synced"},
    {PassResult::suspect, "suspect"},
    {PassResult::paused, "paused"},
    {PassResult::stopped, "stopped"},
}};

constexpr std::array<std::pair<RowAction, std::string_view>, 18> k_action_names = {{
    {RowAction::created, "created"},
    {RowAction::updated, "updated"},
    {RowAction::unchanged, "unchanged"},
    {RowAction::invalid, "invalid"},
    {RowAction::removed, "removed"},
    {RowAction::held, "held"},
    {RowAction::waiting, "waiting"},
    {RowAction::failed, "failed"},
    {RowAction::dead, "dead"},
    {RowAction::would_create, "would create"},
    {RowAction::would_update, "would update"},
    {RowAction::would_remove, "would remove"},
    {RowAction::forgotten, "forgotten"},
    {RowAction::unpublished, "unpublished"},
    {RowAction::republished, "republished"},
    {RowAction::would_unpublish, "would unpublish"},
    {RowAction::would_republish, "would republish"},
    {RowAction::adopted, "adopted"},
}};

constexpr std::array<ErrorKind, 9> k_error_kinds = {ErrorKind::transient, ErrorKind::timeout,   ErrorKind::rate_limited,
                                                    ErrorKind::auth,      ErrorKind::not_found, ErrorKind::invalid,
                                                    ErrorKind::conflict,  ErrorKind::config,    ErrorKind::internal};

// The reason that goes with a result: the stop's message, or why the read looked wrong.
std::string reason_of(const PassReport& r) {
  if (r.stopped) return r.stopped->message;
  return r.suspect;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

int count_at(simdjson::dom::element report, std::string_view key) {
  std::int64_t n = 0;
  return report[key].get_int64().get(n) == simdjson::SUCCESS ? static_cast<int>(n) : 0;
}

std::string text_at(simdjson::dom::element el, std::string_view key) {
  std::string_view v;
  return el[key].get_string().get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
}

}  // namespace

std::string_view to_string(PassResult r) {
  for (const auto& [result, name] : k_result_names) {
    if (result == r) return name;
  }
  return "stopped";
}

std::optional<PassResult> pass_result_from_string(std::string_view s) {
  for (const auto& [result, name] : k_result_names) {
    if (name == s) return result;
  }
  return std::nullopt;
}

PassResult result_of(const PassReport& report) {
  if (report.paused) return PassResult::paused;
  if (report.stopped) return PassResult::stopped;
  if (!report.suspect.empty()) return PassResult::suspect;
  return report.succeeded() ? PassResult::ok : PassResult::rows_not_synced;
}

std::string_view to_string(RowAction a) {
  for (const auto& [action, name] : k_action_names) {
    if (action == a) return name;
  }
  return "unchanged";
}

std::optional<RowAction> row_action_from_string(std::string_view s) {
  for (const auto& [action, name] : k_action_names) {
    if (name == s) return action;
  }
  return std::nullopt;
}

namespace {

// write_report_json(), handing the text written so far to `stream` (when given) every few
// hundred rows: a plan of a million rows is never held as one text.
void write_report_json_to(json::Writer& w, const PassReport& r, ReportRows rows, std::ostream* stream) {
  w.begin_object().key("source").value(r.source);
  w.key("result").value(to_string(result_of(r)));
  if (r.stopped) {
    w.key("error").value(r.stopped->message);
    w.key("error_kind").value(to_string(r.stopped->kind));
  }
  if (!r.suspect.empty()) w.key("suspect").value(r.suspect);
  if (!r.recovering.empty()) w.key("recovering").value(r.recovering);
  w.key("created").value(std::int64_t{r.created}).key("updated").value(std::int64_t{r.updated});
  w.key("unchanged").value(std::int64_t{r.unchanged}).key("invalid").value(std::int64_t{r.invalid});
  w.key("removed").value(std::int64_t{r.removed}).key("held").value(std::int64_t{r.held});
  w.key("failed").value(std::int64_t{r.failed}).key("dead").value(std::int64_t{r.dead});
  w.key("unpublished").value(std::int64_t{r.unpublished}).key("republished").value(std::int64_t{r.republished});
  w.key("adopted").value(std::int64_t{r.adopted});
  w.key("api_requests").value(std::int64_t{r.api_requests});
  w.key("write_back_cells").value(std::int64_t{r.write_back_cells});
  if (!r.write_back_error.empty()) w.key("write_back_error").value(r.write_back_error);
  if (!r.write_back_skipped.empty()) {
    w.key("write_back_skipped").begin_array();
    for (const auto& why : r.write_back_skipped) w.value(why);
    w.end_array();
  }
  if (r.operator_pause) w.key("paused_by").value("operator");
  if (r.row_scoped) w.key("row_scoped").value(true);
  if (!r.unknown_rows.empty()) {
    w.key("unknown_rows").begin_array();
    for (const auto& id : r.unknown_rows) w.value(id);
    w.end_array();
  }
  if (rows == ReportRows::listed) {
    w.key("rows").begin_array();
    for (const auto& row : r.rows) {
      w.begin_object().key("row_ref").value(row.row_ref).key("source_id").value(row.source_id);
      w.key("action").value(to_string(row.action)).key("event_id");
      if (row.event_id) w.value(*row.event_id);
      else w.null();
      w.key("detail").value(row.detail);
      if (!row.changes.empty()) {
        // The values as the payload has them (JSON), null where the field is absent.
        w.key("changes").begin_array();
        for (const auto& c : row.changes) {
          w.begin_object().key("field").value(c.field).key("old");
          if (c.before.empty()) w.null();
          else w.raw(c.before);
          w.key("new");
          if (c.after.empty()) w.null();
          else w.raw(c.after);
          w.end_object();
        }
        w.end_array();
      }
      w.end_object();
      if (stream != nullptr && w.str().size() >= k_stream_piece) w.flush_to(*stream);
    }
    w.end_array();
  }
  w.end_object();
}

}  // namespace

void write_report_json(json::Writer& w, const PassReport& r, ReportRows rows) {
  write_report_json_to(w, r, rows, nullptr);
}

std::string reports_json(const std::vector<PassReport>& reports) {
  json::Writer w;
  w.begin_object().key("reports").begin_array();
  for (const auto& r : reports) write_report_json(w, r);
  w.end_array().end_object();
  return w.take();
}

JsonReportStream::JsonReportStream(std::ostream& out) : m_out(out) {
  m_writer.begin_object().key("reports").begin_array();
}

void JsonReportStream::add(const PassReport& report) {
  write_report_json_to(m_writer, report, ReportRows::listed, &m_out);
  m_writer.flush_to(m_out);
}

void JsonReportStream::finish() {
  m_writer.end_array().end_object();
  m_writer.flush_to(m_out);
}

Result<std::vector<PassReport>> reports_from_json(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array list;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS ||
      root["reports"].get_array().get(list) != simdjson::SUCCESS) {
    return fail(ErrorKind::invalid, "the answer is not a list of pass reports");
  }
  std::vector<PassReport> out;
  for (auto el : list) {
    PassReport r;
    r.source = text_at(el, "source");
    const auto result = pass_result_from_string(text_at(el, "result"));
    if (r.source.empty() || !result) return fail(ErrorKind::invalid, "a pass report without source or result");
    if (const auto error = text_at(el, "error"); !error.empty()) {
      ErrorKind kind = ErrorKind::transient;
      const auto kind_name = text_at(el, "error_kind");
      for (const auto k : k_error_kinds) {
        if (to_string(k) == kind_name) kind = k;
      }
      r.stopped = Error{kind, error};
    }
    r.paused = *result == PassResult::paused;
    r.operator_pause = r.paused && text_at(el, "paused_by") == "operator";
    r.key_refused = r.paused && !r.operator_pause;
    r.suspect = text_at(el, "suspect");
    r.recovering = text_at(el, "recovering");
    r.created = count_at(el, "created");
    r.updated = count_at(el, "updated");
    r.unchanged = count_at(el, "unchanged");
    r.invalid = count_at(el, "invalid");
    r.removed = count_at(el, "removed");
    r.held = count_at(el, "held");
    r.failed = count_at(el, "failed");
    r.dead = count_at(el, "dead");
    r.unpublished = count_at(el, "unpublished");
    r.republished = count_at(el, "republished");
    r.adopted = count_at(el, "adopted");
    r.api_requests = count_at(el, "api_requests");
    r.write_back_cells = count_at(el, "write_back_cells");
    r.write_back_error = text_at(el, "write_back_error");
    simdjson::dom::array skipped;
    if (el["write_back_skipped"].get_array().get(skipped) == simdjson::SUCCESS) {
      for (auto why : skipped) {
        std::string_view sentence;
        if (why.get_string().get(sentence) == simdjson::SUCCESS) r.write_back_skipped.emplace_back(sentence);
      }
    }
    bool row_scoped = false;
    r.row_scoped = el["row_scoped"].get_bool().get(row_scoped) == simdjson::SUCCESS && row_scoped;
    simdjson::dom::array unknown;
    if (el["unknown_rows"].get_array().get(unknown) == simdjson::SUCCESS) {
      for (auto id : unknown) {
        std::string_view v;
        if (id.get_string().get(v) == simdjson::SUCCESS) r.unknown_rows.emplace_back(v);
      }
    }
    simdjson::dom::array rows;
    if (el["rows"].get_array().get(rows) == simdjson::SUCCESS) {
      for (auto row : rows) {
        const auto action = row_action_from_string(text_at(row, "action"));
        if (!action) return fail(ErrorKind::invalid, "a row of " + r.source + " has an unknown action");
        RowOutcome o{text_at(row, "row_ref"), text_at(row, "source_id"), *action, std::nullopt, text_at(row, "detail")};
        std::int64_t id = 0;
        if (row["event_id"].get_int64().get(id) == simdjson::SUCCESS) o.event_id = id;
        simdjson::dom::array changes;
        if (row["changes"].get_array().get(changes) == simdjson::SUCCESS) {
          for (auto c : changes) {
            auto value = [&](std::string_view key) {
              simdjson::dom::element v;
              if (c[key].get(v) != simdjson::SUCCESS || v.is_null()) return std::string();
              return simdjson::minify(v);
            };
            o.changes.push_back({text_at(c, "field"), value("old"), value("new")});
          }
        }
        r.rows.push_back(std::move(o));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

void write_report_text(std::ostream& stream, const PassReport& r, PassMode mode) {
  const bool dry = mode == PassMode::dry_run;
  std::string out = r.source + ": ";
  if (r.stopped) {
    // Stop messages usually lead with the source name already.
    std::string_view why = r.stopped->message;
    if (why.starts_with(r.source + ": ")) why.remove_prefix(r.source.size() + 2);
    out += (r.paused ? "PAUSED — " : "STOPPED — ") + std::string(why) + "\n  ";
  } else if (!dry) {
    out += std::string(to_string(result_of(r))) + " — ";
  }
  out += std::to_string(r.created) + (dry ? " to create, " : " created, ") + std::to_string(r.updated) +
         (dry ? " to update, " : " updated, ") + std::to_string(r.unchanged) + " unchanged, " +
         std::to_string(r.invalid) + " invalid, " + std::to_string(r.removed) + " removed";
  if (r.held > 0) out += ", " + std::to_string(r.held) + " held for review";
  if (r.failed > 0) out += ", " + std::to_string(r.failed) + " failed";
  if (r.dead > 0) out += ", " + std::to_string(r.dead) + " dead";
  if (r.unpublished > 0) out += ", " + std::to_string(r.unpublished) + (dry ? " to take down" : " taken down to draft");
  if (r.republished > 0) out += ", " + std::to_string(r.republished) + (dry ? " to bring back" : " brought back");
  if (r.adopted > 0) out += ", " + std::to_string(r.adopted) + " adopted (existing events)";
  if (!dry) out += " (" + std::to_string(r.api_requests) + " API requests)";
  out += '\n';
  if (!r.suspect.empty()) out += "  SUSPECT READ, nothing marked removed — " + r.suspect + '\n';
  if (!r.recovering.empty()) {
    out += "  LOOKED FIRST — " + r.recovering +
           (dry ? ": sync looks for each row's event in Pinned Events before creating it, and adopts one it finds\n"
                : ": each row to create was looked for in Pinned Events first\n");
  }
  if (r.write_back_cells > 0) out += "  wrote " + std::to_string(r.write_back_cells) + " cells back into the source\n";
  if (!r.write_back_error.empty()) out += "  write-back failed: " + r.write_back_error + '\n';
  for (const auto& why : r.write_back_skipped) out += "  not written back: " + why + '\n';
  // A line at a time: a plan of a million rows is not held as one text.
  stream << out;
  for (const auto& row : r.rows) {
    out = "  " + pad(std::string(to_string(row.action)), 13) + ' ' + pad(row.row_ref, 22) + ' ' + pad(row.source_id, 12);
    if (row.event_id) out += " event " + std::to_string(*row.event_id);
    if (!row.detail.empty()) out += "  " + row.detail;
    out += '\n';
    for (const auto& c : row.changes) {
      // Long values (a description) are cut: the plan shows what changes, not whole texts.
      auto shown = [](const std::string& v) {
        if (v.empty()) return std::string("(none)");
        if (v.size() <= 80) return v;
        std::size_t cut = 77;
        while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        return v.substr(0, cut) + "...";
      };
      out += "                  " + c.field + ": " + shown(c.before) + " → " + shown(c.after) + '\n';
    }
    stream << out;
  }
}

std::string report_text(const PassReport& report, PassMode mode) {
  std::ostringstream out;
  write_report_text(out, report, mode);
  return std::move(out).str();
}

state::RunRecord run_record_of(const PassReport& r) {
  state::RunRecord rec;
  rec.source = r.source;
  rec.created = r.created;
  rec.updated = r.updated;
  rec.unchanged = r.unchanged;
  rec.invalid = r.invalid;
  rec.removed = r.removed;
  rec.held = r.held;
  rec.failed = r.failed;
  rec.dead = r.dead;
  rec.unpublished = r.unpublished;
  rec.republished = r.republished;
  rec.adopted = r.adopted;
  rec.api_requests = r.api_requests;
  rec.result = std::string(to_string(result_of(r)));
  rec.detail = reason_of(r);
  return rec;
}

PassReport report_of(const state::RunRecord& run) {
  PassReport r;
  r.source = run.source;
  r.created = run.created;
  r.updated = run.updated;
  r.unchanged = run.unchanged;
  r.invalid = run.invalid;
  r.removed = run.removed;
  r.held = run.held;
  r.failed = run.failed;
  r.dead = run.dead;
  r.unpublished = run.unpublished;
  r.republished = run.republished;
  r.adopted = run.adopted;
  r.api_requests = run.api_requests;
  switch (pass_result_from_string(run.result).value_or(PassResult::stopped)) {
    case PassResult::ok:
    case PassResult::rows_not_synced: break;
    case PassResult::suspect: r.suspect = run.detail; break;
    case PassResult::paused:
      r.paused = true;
      r.stopped = Error{ErrorKind::auth, run.detail};
      break;
    case PassResult::stopped: r.stopped = Error{ErrorKind::transient, run.detail}; break;
  }
  return r;
}

}  // namespace pinsync::agent
