#include "agent/pinned/event_gist.h"

#include <simdjson.h>

namespace pinsync::agent {

EventGist gist_of(std::string_view body) {
  EventGist gist;
  thread_local simdjson::dom::parser parser;  // its buffers are reused: one parse per write
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return gist;
  std::string_view text;
  if (root["title"].get_string().get(text) == simdjson::SUCCESS) gist.title = text;
  if (root["startAt"].get_string().get(text) == simdjson::SUCCESS) gist.start = text;
  if (root["status"].get_string().get(text) == simdjson::SUCCESS) gist.status = text;
  return gist;
}

std::string describe_event(std::int64_t event_id, const EventGist& gist) {
  std::string out = "event " + std::to_string(event_id);
  if (gist.title.empty() && gist.start.empty()) return out;
  out += " (";
  if (!gist.title.empty()) out += "\"" + gist.title + "\"";
  if (!gist.start.empty()) {
    if (!gist.title.empty()) out += ", ";
    // "2026-06-12T20:00:00-04:00" reads as "2026-06-12 20:00": the date and time the partner wrote.
    const std::string_view s = gist.start;
    out += s.size() >= 16 && s[10] == 'T' ? std::string(s.substr(0, 10)) + " " + std::string(s.substr(11, 5))
                                          : std::string(s);
  }
  return out + ")";
}

}  // namespace pinsync::agent
