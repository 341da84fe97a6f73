#include "agent/daemon/page.h"

#include <algorithm>
#include <cstdio>

#include "agent/daemon/attention.h"
#include "core/datetime.h"

namespace pinsync::agent {

namespace {

// How many problem rows a source lists; `pinsync errors` shows them all.
constexpr std::size_t k_page_rows = 50;

std::string when(std::int64_t unix_seconds) { return unix_seconds > 0 ? format_utc(unix_seconds) : "never"; }

// "3d 4h", "2h 5m", "12m", "40s".
std::string duration_text(std::int64_t s) {
  if (s < 0) s = 0;
  const auto d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  if (m > 0) return std::to_string(m) + "m";
  return std::to_string(s) + "s";
}

std::string seconds_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", d);
  return buf;
}

constexpr const char* k_style =
    "body{font-family:system-ui,sans-serif;margin:0 auto;padding:.6em;max-width:60em;line-height:1.35;"
    "overflow-wrap:break-word}"
    "h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.2em 0 .3em}h3{font-size:1.05em;margin:0 0 .3em}"
    ".meta{color:#555;font-size:.85em;margin:0}"
    ".verdict{font-size:1.25em;font-weight:bold;padding:.5em .6em;border-radius:.3em;margin:.5em 0}"
    ".verdict.bad{background:#fde8e8;color:#900}.verdict.ok{background:#e6f4e6;color:#060}"
    "p.bad,.bad{color:#900}.ok{color:#060}"
    "section.source{border:1px solid #ccc;border-radius:.4em;padding:.6em;margin:.7em 0}"
    "section.source.needs{border-color:#c44;border-left-width:.4em}"
    ".badge{display:inline-block;font-size:.78em;font-weight:bold;padding:.1em .45em;border-radius:.3em;"
    "background:#b00;color:#fff;white-space:nowrap}"
    ".badge.warn{background:#a55a00}.badge.fine{background:#070}.badge.idle{background:#666}"
    "ul.needs{list-style:none;padding:0;margin:.3em 0}ul.needs li{margin:.45em 0}"
    ".fix{margin-top:.2em}code{background:#f2f2f2;padding:0 .2em;overflow-wrap:anywhere}"
    ".scroll{overflow-x:auto;max-width:100%;margin:.4em 0}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.25em .4em;text-align:left;font-size:.88em;vertical-align:top}"
    ".id,td.when{white-space:nowrap}td.reason{min-width:14em}"
    "button{font:inherit;font-size:.9em;padding:.3em .8em;margin:.15em .3em .15em 0;cursor:pointer}"
    ".facts{font-size:.88em;color:#333;margin:.3em 0}"
    "td.fix{min-width:12em}"
    // On a phone a row of the rows table becomes a block: ID, state and row on one line,
    // reason and fix below, so nothing needs sideways scrolling.
    "@media (max-width:40em){table.rows thead{display:none}table.rows,table.rows tbody,table.rows tr{display:block}"
    "table.rows tr{border-bottom:1px solid #ddd;padding:.3em 0}"
    "table.rows td{display:inline-block;border:0;padding:.1em .5em .1em 0}"
    "table.rows td.reason,table.rows td.fix{display:block;min-width:0}}"
    "#answer{position:sticky;top:0;background:#ffd;border:1px solid #cc9;padding:.4em;white-space:pre-wrap;"
    "font-size:.88em;z-index:1}";

// The buttons POST their data-body as JSON to their data-path with fetch() from this page
// (same origin; Content-Type application/json — a cross-site form cannot send that), then
// show the answer and reload the content. Every k_page_refresh_seconds the content (#main,
// #meta) is fetched again and swapped in place, keeping the scroll position; not while a
// request runs.
constexpr const char* k_script = R"JS((function(){
var busy=false;
function show(text,bad){var a=document.getElementById('answer');a.hidden=false;a.className=bad?'bad':'';a.textContent=text;}
function summary(status,text){var j;try{j=JSON.parse(text);}catch(e){return 'HTTP '+status+': '+text;}
if(j.error)return 'HTTP '+status+': '+j.error;
if(j.reports)return j.reports.map(function(r){return r.source+': '+r.result+(r.error?' ('+r.error+')':'')+
' - created '+r.created+', updated '+r.updated+', unchanged '+r.unchanged+', invalid '+r.invalid+
', failed '+r.failed+', dead '+r.dead+', held '+r.held;}).join('\n');
if(typeof j.paused==='boolean')return j.source+(j.paused?': paused':': resumed');
return text;}
function refresh(){if(busy)return;fetch(location.pathname,{cache:'no-store'}).then(function(r){return r.text();})
.then(function(t){if(busy)return;var d=new DOMParser().parseFromString(t,'text/html');
var y=window.scrollY;['main','meta'].forEach(function(id){var n=d.getElementById(id),o=document.getElementById(id);
if(n&&o)o.replaceWith(document.adoptNode(n));});window.scrollTo(0,y);}).catch(function(){});}
document.addEventListener('click',function(e){var b=e.target.closest('button[data-path]');if(!b||busy)return;
var body=JSON.parse(b.getAttribute('data-body'));var what=b.textContent+' '+body.source;
if(b.getAttribute('data-path')==='/pause'){var why=window.prompt('Why pause '+body.source+'? (shown on this page)','');
if(why===null)return;if(why)body.reason=why;}
busy=true;b.disabled=true;show(what+': working...',false);
fetch(b.getAttribute('data-path'),{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)})
.then(function(r){return r.text().then(function(t){show(what+': '+summary(r.status,t),!r.ok);});})
.catch(function(err){show(what+': no answer ('+err+')',true);})
.then(function(){busy=false;b.disabled=false;refresh();});});
setInterval(refresh,)JS";
// k_script's end, after the refresh period in milliseconds.
constexpr const char* k_script_end = ");\n})();";

std::string button(const PageAction& a) {
  return "<button type=\"button\" data-path=\"" + html_escape(a.path) + "\" data-body=\"" + html_escape(a.body) +
         "\">" + html_escape(a.label) + "</button>";
}

std::string need_item(const Need& n) {
  std::string h = "<li data-need=\"" + std::string(to_string(n.kind)) + "\"><span class=\"badge\">" +
                  html_escape(n.badge) + "</span> " + html_escape(n.detail) + "<div class=\"fix\">Fix: <code>" +
                  html_escape(n.command) + "</code>";
  if (n.action) h += " " + button(*n.action);
  return h + "</div></li>";
}

// What a person does about one listed row.
std::string row_fix(const SourceStatus& s, const state::RowRecord& r) {
  const std::string resync = "pinsync resync --source " + s.name + " --row " + r.source_id;
  switch (r.state) {
    case state::RowState::dead: return resync;
    case state::RowState::failed: return "retried on its own; now: " + resync;
    case state::RowState::gone: return resync + " --recreate (or --forget)";
    case state::RowState::needs_review: return "check the events in Pinned Events, then " + resync;
    case state::RowState::invalid: return "fix the row in the source";
    default: return "";
  }
}

std::string rows_table(const SourceStatus& s) {
  if (s.problem_rows.empty()) return "";
  std::vector<const state::RowRecord*> rows;
  for (const auto& r : s.problem_rows) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    const int ra = row_rank(a->state), rb = row_rank(b->state);
    return ra != rb ? ra < rb : a->source_id < b->source_id;
  });
  std::string h = "<div class=\"scroll\"><table class=\"rows\"><thead><tr><th>ID</th><th>state</th><th>row</th>"
                  "<th>reason</th><th>fix</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < rows.size() && i < k_page_rows; ++i) {
    const auto& r = *rows[i];
    const std::string st(state::to_string(r.state));
    h += "<tr data-state=\"" + st + "\"><td class=\"id\">" + html_escape(r.source_id) + "</td><td><span class=\"badge" +
         (r.state == state::RowState::invalid ? " warn" : "") + "\">" + st + "</span></td><td class=\"id\">" +
         html_escape(r.row_ref) + "</td><td class=\"reason\">" + html_escape(r.error_reason) + "</td><td class=\"fix\"><code>" +
         html_escape(row_fix(s, r)) + "</code></td></tr>";
  }
  h += "</tbody></table></div>";
  if (rows.size() > k_page_rows) {
    h += "<p class=\"facts\">… and " + std::to_string(rows.size() - k_page_rows) +
         " more: <code>pinsync errors --source " + html_escape(s.name) + "</code></p>";
  }
  return h;
}

std::string passes_table(const SourceStatus& s) {
  if (s.recent.empty()) return "";
  std::string h = "<div class=\"scroll\"><table class=\"passes\"><thead><tr><th>finished</th><th>trigger</th>"
                  "<th>result</th><th>created</th><th>updated</th><th>invalid</th><th>failed</th><th>dead</th>"
                  "<th>seconds</th></tr></thead><tbody>";
  for (const auto& p : s.recent) {
    h += "<tr><td class=\"when\">" + html_escape(when(p.finished_at)) + "</td><td>" + html_escape(p.trigger) +
         "</td><td>" + std::string(to_string(p.result)) + "</td><td>" + std::to_string(p.report.created) +
         "</td><td>" + std::to_string(p.report.updated) + "</td><td>" + std::to_string(p.report.invalid) +
         "</td><td>" + std::to_string(p.report.failed) + "</td><td>" + std::to_string(p.report.dead) + "</td><td>" +
         seconds_text(p.seconds) + "</td></tr>";
  }
  return h + "</tbody></table></div>";
}

std::string facts_line(const SourceStatus& s) {
  std::string h = "<p class=\"facts\">" + html_escape(s.kind) + ", read every " +
                  std::to_string(s.poll_interval.count()) + "s" + (s.running ? " — running now" : "") +
                  "; last pass: " +
                  (s.recent.empty() ? std::string("none yet")
                                    : std::string(to_string(s.recent.front().result)) + " at " +
                                          html_escape(when(s.recent.front().finished_at))) +
                  "; last success: " + html_escape(when(s.last_success_at));
  if (s.next_pass_at > 0) h += "; next: " + html_escape(when(s.next_pass_at));
  h += "; rows:";
  for (const auto& [state, n] : s.rows_by_state) h += " " + html_escape(state) + " " + std::to_string(n) + ";";
  if (s.events_taken_down > 0) {
    h += " of the removed, " + std::to_string(s.events_taken_down) + " with their events taken down to draft;";
  }
  h += "</p>";
  if (!s.quota_note.empty()) {
    h += "<p class=\"facts\">Read every " + std::to_string(s.poll_interval.count()) + "s, not every " +
         std::to_string(s.configured_poll_interval.count()) + "s as configured: " + html_escape(s.quota_note) + "</p>";
  }
  return h;
}

std::string source_section(const SourceStatus& s, const std::vector<Need>& needs) {
  const bool needy = !needs.empty();
  std::string h = "<section class=\"source" + std::string(needy ? " needs" : "") + "\" data-source=\"" +
                  html_escape(s.name) + "\" data-group=\"" + (needy ? "needs" : "fine") + "\"><h3>" +
                  html_escape(s.name) + " ";
  if (needy) {
    for (const auto& n : needs) h += "<span class=\"badge\" data-badge=\"" + std::string(to_string(n.kind)) + "\">" +
                                     html_escape(n.badge) + "</span> ";
  } else if (s.recent.empty()) {
    h += "<span class=\"badge idle\" data-badge=\"no_pass\">NO PASS YET</span> ";
  } else {
    h += "<span class=\"badge fine\" data-badge=\"fine\">FINE</span> ";
  }
  const auto invalid = s.rows_by_state.find("invalid");
  if (invalid != s.rows_by_state.end() && invalid->second > 0) {
    h += "<span class=\"badge warn\" data-badge=\"invalid_rows\">" + std::to_string(invalid->second) + " INVALID</span>";
  }
  h += "</h3>";
  if (needy) {
    h += "<ul class=\"needs\">";
    for (const auto& n : needs) h += need_item(n);
    h += "</ul>";
  }
  // A stopped or paused last pass already says why in its need.
  if (!s.last_error.empty() && (s.recent.empty() || (s.recent.front().result != PassResult::stopped &&
                                                     s.recent.front().result != PassResult::paused))) {
    h += "<p class=\"facts\">Last pass: " + html_escape(s.last_error) + "</p>";
  }
  h += facts_line(s) + "<div class=\"actions\">";
  for (const auto& a : source_actions(s)) {
    // A button a need already offers is not repeated.
    const bool offered = std::any_of(needs.begin(), needs.end(), [&](const Need& n) {
      return n.action && n.action->path == a.path && n.action->body == a.body;
    });
    if (!offered) h += button(a);
  }
  return h + "</div>" + rows_table(s) + passes_table(s) + "</section>";
}

std::string meta_line(const PageFacts& facts) {
  std::string h;
  if (!facts.version.empty()) h += "version " + html_escape(facts.version) + " · ";
  if (facts.started_at > 0 && facts.now > 0) h += "up " + duration_text(facts.now - facts.started_at) + " · ";
  if (facts.now > 0) h += "as of " + html_escape(format_utc(facts.now)) + " · ";
  return "<p class=\"meta\" id=\"meta\">" + h + "refreshes every " + std::to_string(k_page_refresh_seconds) + " s</p>";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string verdict_text(std::size_t needing, std::size_t total) {
  if (total == 0) return "No sources configured";
  const std::string sources = total == 1 ? " source" : " sources";
  if (needing == 0) return total == 1 ? "The 1 source is fine" : "All " + std::to_string(total) + " sources are fine";
  return std::to_string(needing) + " of " + std::to_string(total) + sources + (needing == 1 ? " needs you" : " need you");
}

std::string status_html(const std::vector<SourceStatus>& sources, const ReloadStatus& reload, const PageFacts& facts) {
  std::vector<std::pair<const SourceStatus*, std::vector<Need>>> needy, fine;
  for (const auto& s : sources) {
    auto needs = needs_of(s);
    (needs.empty() ? fine : needy).emplace_back(&s, std::move(needs));
  }
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>pinsync</title><style>";
  h += k_style;
  h += "</style></head><body><header><h1>pinsync</h1>" + meta_line(facts) +
       "</header><p id=\"answer\" role=\"status\" hidden></p><main id=\"main\">";
  h += "<p id=\"verdict\" class=\"verdict " + std::string(needy.empty() ? "ok" : "bad") + "\">" +
       verdict_text(needy.size(), sources.size()) + "</p>";
  if (reload.at != 0 && !reload.ok) {
    h += "<p class=\"bad\" data-badge=\"reload_failed\"><span class=\"badge\">RELOAD FAILED</span> The config reload at " +
         html_escape(format_utc(reload.at)) + " FAILED; the agent runs on its old config: " +
         html_escape(reload.error) + "</p>";
  }
  if (!needy.empty()) {
    h += "<h2>Need you</h2>";
    for (const auto& [s, needs] : needy) h += source_section(*s, needs);
  }
  if (!fine.empty()) {
    h += needy.empty() ? "<h2>Sources</h2>" : "<h2>Fine</h2>";
    for (const auto& [s, needs] : fine) h += source_section(*s, needs);
  }
  h += "</main><script>";
  h += k_script + std::to_string(k_page_refresh_seconds * 1000) + k_script_end;
  h += "</script></body></html>\n";
  return h;
}

}  // namespace pinsync::agent
