// The admin endpoint's HTML status page (GET /): "does anything need me?" at a glance —
// a verdict line, then the sources that need a person (each need with a badge, the command
// that fixes it and, where one does it, a button), then the healthy ones. Pure functions, no
// I/O; every text from the config, the sources or Pinned Events is escaped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/daemon/status.h"

namespace pinsync::agent {

// What the page says about the agent itself.
struct PageFacts {
  std::string version;          // "0.1.0"; "" leaves it out
  std::int64_t started_at = 0;  // unix seconds; 0: no uptime shown
  std::int64_t now = 0;         // unix seconds the page was made at; 0: no time shown
};

// How often the page reloads its content (keeping the scroll position).
inline constexpr int k_page_refresh_seconds = 15;

// The verdict line: "All 3 sources are fine", "1 of 3 sources needs you", "2 of 14 sources
// need you", "No sources configured".
std::string verdict_text(std::size_t needing, std::size_t total);

// GET /: one self-contained HTML page (inline CSS and script, no external assets). The
// buttons POST JSON with fetch() from the page itself (same origin, Content-Type
// application/json, as the endpoint demands) and show the answer; the content reloads every
// k_page_refresh_seconds without moving the scroll position.
std::string status_html(const std::vector<SourceStatus>& sources, const ReloadStatus& reload = {},
                        const PageFacts& facts = {});
// `text` with & < > " ' replaced by HTML entities.
std::string html_escape(std::string_view text);

}  // namespace pinsync::agent
