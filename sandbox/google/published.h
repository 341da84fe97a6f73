// "Publish to the web → CSV" links of Google Sheets. A published link
// (/spreadsheets/d/e/{key}/pub?output=csv) answers 307 with a Location on another path —
// the real one sends the client to another Google host — where the CSV is served as
// text/csv. The control route PUT /_sandbox/published/{key} sets a link's CSV text; the key
// "loop" redirects to itself for ever, as a misconfigured proxy would.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "sandbox/http/types.h"

namespace pinsync_sandbox {

class PublishedCsv final : public Service {
 public:
  std::string_view prefix() const override { return "/spreadsheets/d/e"; }
  // GET …/{key}/pub → 307 to …/{key}/served; GET …/{key}/served → the CSV, 404 for an
  // unknown key. Never throws.
  Response handle(const Request& request) override;

  // Sets the CSV text of `key`.
  void set(const std::string& key, std::string csv);

 private:
  std::mutex m_mutex;
  std::map<std::string, std::string> m_csv;
};

// PUT /_sandbox/published/{key}: the body is the CSV text served for that key.
class PublishedCsvControl final : public Service {
 public:
  explicit PublishedCsvControl(PublishedCsv& published) : m_published(published) {}
  std::string_view prefix() const override { return "/_sandbox/published"; }
  Response handle(const Request& request) override;

 private:
  PublishedCsv& m_published;
};

}  // namespace pinsync_sandbox
