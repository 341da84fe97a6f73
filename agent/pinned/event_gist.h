// What an operator needs to recognise an event that is gone: its title and start, as
// pinsync last sent them (docs/reference/pinned-events-api.md §5: `title`, `startAt`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pinsync::agent {

struct EventGist {
  std::string title;  // "" when the body has none
  std::string start;  // the body's startAt as sent ("2026-06-12T20:00:00-04:00"); "" when none
  std::string status{};  // the body's status ("published", "draft"); "" when none
};

// The title, startAt and status of a create or update body; empty fields for anything that is not
// a JSON object holding them as strings.
EventGist gist_of(std::string_view body);

// How messages name an event: `event 123 ("Jazz night", 2026-06-12 20:00)` — the start
// shown as its local date and time as sent (without seconds and offset); `event 123 ("Jazz
// night")` or `event 123` when the title or both are unknown.
std::string describe_event(std::int64_t event_id, const EventGist& gist);

}  // namespace pinsync::agent
