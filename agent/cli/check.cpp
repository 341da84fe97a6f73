#include "agent/cli/check.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "agent/cli/exit_codes.h"
#include "agent/config/load.h"
#include "agent/daemon/quota_plan.h"
#include "agent/mapping/mapper.h"
#include "agent/mapping/source.h"
#include "agent/config/sources.h"

namespace pinsync::agent {

namespace {

// Reports each item as soon as it is known: a check against a slow source should show
// what already passed.
class Checklist {
 public:
  explicit Checklist(std::ostream& out) : m_out(out) {}
  void ok(std::string what) { add({CheckResult::ok, std::move(what), "", 0}); }
  void fail(std::string what, std::string fix, int code) { add({CheckResult::fail, std::move(what), std::move(fix), code}); }
  void warn(std::string what, std::string consequence) { add({CheckResult::warn, std::move(what), std::move(consequence), 0}); }
  void add(CheckItem item) {
    m_out << check_line(item) << '\n';
    m_out.flush();
    m_items.push_back(std::move(item));
  }
  std::vector<CheckItem> take() { return std::move(m_items); }

 private:
  std::ostream& m_out;
  std::vector<CheckItem> m_items;
};

void check_scopes(Checklist& list, PinnedClient& client, bool& channels_readable) {
  for (const auto& need : k_scope_needs) {
    const ProbeAnswer a = client.probe_scope(need.scope);
    const std::string what = "API key scope " + std::string(need.scope);
    if (a.status == 403 && a.code == "insufficient_scope") {
      if (need.required) {
        list.fail(what + " is missing: " + std::string(need.without),
                  "add " + std::string(need.scope) + " to the key in Pinned Events (or create a key with it)", k_exit_auth);
      } else {
        list.warn(what + " is missing (optional)", "without it " + std::string(need.without));
      }
    } else if (a.status == 0 || a.status == 401 || a.status == 429 || a.status >= 500) {
      list.fail(what + " could not be checked (" + (a.status == 0 ? std::string("no answer") : "HTTP " + std::to_string(a.status)) + ")",
                "run pinsync check again", k_exit_failure);
    } else {
      list.ok(what + " present");
    }
    if (need.scope == "channels:read") channels_readable = a.status >= 200 && a.status < 300;
  }
}

// The columns a source reads or writes that the mapping does not cover: id, approval,
// status, fingerprint (the mapping's own are checked by prepare_source).
void check_write_back(Checklist& list, const SourceConfig& source, const connectors::Table& table) {
  const auto* write_back = source.write_back();
  if (write_back == nullptr) return;
  const std::string name = source.name + ": ";
  std::string missing;
  int configured = 0;
  for (const auto* column : {&write_back->event_id_column, &write_back->status_column, &write_back->error_column}) {
    if (column->empty()) continue;
    ++configured;
    if (std::find(table.columns.begin(), table.columns.end(), *column) == table.columns.end()) {
      missing += (missing.empty() ? "\"" : ", \"") + *column + "\"";
    }
  }
  if (configured == 0) return;
  if (!missing.empty()) {
    list.fail(name + "write_back column " + missing + " is not in the header",
              "add it to the sheet or fix write_back", k_exit_config);
  } else {
    list.ok(name + "write-back columns present (" + std::to_string(configured) + ")");
  }
}

void check_slugs(Checklist& list, const SourceConfig& source, const std::set<std::string>& known) {
  const std::string name = source.name + ": ";
  std::vector<std::string> unknown;
  for (const auto& [label, slug] : source.mapping.classifications.map) {
    if (!known.contains(slug)) unknown.push_back("\"" + slug + "\" (for \"" + label + "\")");
  }
  if (unknown.empty()) {
    list.ok(name + "all " + std::to_string(source.mapping.classifications.map.size()) +
            " mapped classification slugs exist");
    return;
  }
  std::string names;
  for (const auto& u : unknown) names += (names.empty() ? "" : ", ") + u;
  list.fail(name + "classification slug " + names + " does not exist in Pinned Events",
            "fix mapping.classifications.map; pinsync classifications lists the slugs", k_exit_config);
}

void check_source(Checklist& list, const Config& config, const SourceConfig& source, Session& session,
                  const std::optional<std::vector<Channel>>& channels, const KnownSlugs& known) {
  const std::string name = source.name + ": ";
  if (channels) {
    const bool found = std::any_of(channels->begin(), channels->end(),
                                   [&](const Channel& c) { return c.id == source.channel_id; });
    if (found) list.ok(name + "channel " + std::to_string(source.channel_id) + " is accessible");
    else list.fail(name + "channel " + std::to_string(source.channel_id) + " is not accessible to this API key",
                   "fix channel_id (pinsync channels lists the usable ones) or give the key's owner access", k_exit_auth);
  }
  if (known) check_slugs(list, source, *known);

  auto connector = make_connector(config, source, session.connector_context(source.name));
  if (!connector) {
    list.fail(name + connector.error().message, "fix the source's settings", exit_code_for(connector.error()));
    return;
  }
  auto table = (*connector)->fetch();
  if (!table) {
    list.fail(name + "cannot be read: " + table.error().message, "check the source's address and access",
              exit_code_for(table.error()));
    return;
  }
  list.ok(name + "source reachable (" + std::to_string(table->rows.size()) + " rows)");
  if (auto plan = prepare_source(source, *table, KnownSlugs{}); !plan) {
    list.fail(plan.error().message, "rename the column back in the source or change mapping", k_exit_config);
    check_write_back(list, source, *table);
    return;
  }
  list.ok(name + "every mapped column is in the header");
  check_write_back(list, source, *table);
  auto mapped = map_table(source, *table, known);
  if (!mapped) return;  // prepare_source above already said why
  int approved = 0, invalid = 0;
  std::map<std::string, int> by_column;  // invalid rows by the column of their first error
  for (const auto& row : *mapped) {
    approved += row.approved ? 1 : 0;
    if (!row.approved || row.errors.empty()) continue;
    ++invalid;
    ++by_column[row.errors.front().field.empty() ? std::string("(row)") : row.errors.front().field];
  }
  const std::string read = name + "read " + std::to_string(table->rows.size()) + " rows, " +
                           std::to_string(approved) + " approved, " + std::to_string(invalid) + " invalid";
  if (invalid == 0) {
    list.ok(read);
    return;
  }
  std::string causes;
  for (const auto& [column, n] : by_column) causes += (causes.empty() ? "" : ", ") + column + " " + std::to_string(n);
  list.warn(read + " (by column: " + causes + ")",
            "those rows are not sent until fixed; 'pinsync plan' lists each with its cell and reason");
}

}  // namespace

std::string check_line(const CheckItem& item) {
  switch (item.result) {
    case CheckResult::ok: return "ok    " + item.what;
    case CheckResult::fail: return "FAIL  " + item.what + (item.fix.empty() ? "" : " — " + item.fix);
    case CheckResult::warn: return "warn  " + item.what + (item.fix.empty() ? "" : " — " + item.fix);
  }
  return item.what;
}

std::vector<CheckItem> check_config_file(const std::filesystem::path& file, std::ostream& out) {
  Checklist list(out);
  if (auto names = env_references(file)) {
    for (const auto& name : *names) {
      // Only whether it is set: the value may be a secret.
      if (std::getenv(name.c_str()) != nullptr) list.ok("environment variable " + name + " is set");
      else list.fail("environment variable " + name + " is not set",
                     "export it, or put NAME=value in the service's EnvironmentFile", k_exit_config);
    }
  }
  if (auto loaded = load_config(file); !loaded) {
    list.fail("config " + file.string() + ": " + loaded.error().message, "fix the file (see config.example.yaml)",
              k_exit_config);
  }
  return list.take();
}

std::vector<CheckItem> run_checks(const Config& config, const CommandOptions& options, Session& session,
                                  std::ostream& out) {
  std::vector<CheckItem> items = check_config_file(config.file, out);
  Checklist list(out);
  list.ok("config " + config.file.string() + " is valid (" + std::to_string(config.sources.size()) + " sources)");

  // /classifications needs no scope, so its answer says whether the key itself is accepted.
  auto slugs = session.client().classifications();
  KnownSlugs known;
  std::optional<std::vector<Channel>> channels;
  if (!slugs && slugs.error().kind == ErrorKind::auth) {
    // The client's message ends with its own advice (after " — "); the checklist gives one fix.
    const std::string& said = slugs.error().message;
    list.fail("API key refused by " + config.pinned.base_url + ": " + said.substr(0, said.find(" — ")),
              "the key is wrong, revoked or expired: create a new one and put it in the environment", k_exit_auth);
  } else {
    if (!slugs) {
      list.fail("classifications could not be read: " + slugs.error().message, "run pinsync check again",
                exit_code_for(slugs.error()));
    } else {
      list.ok("API key accepted by " + config.pinned.base_url + " (" + std::to_string(slugs->size()) +
              " classifications)");
      known = *slugs;
    }
    bool channels_readable = false;
    check_scopes(list, session.client(), channels_readable);
    if (channels_readable) {
      if (auto listed = session.client().channels()) channels = std::move(*listed);
    }
  }
  // Sources are checked even with a refused key: reading them needs no Pinned Events.
  for (const auto& source : config.sources) {
    if (!options.source.empty() && source.name != options.source) continue;
    check_source(list, config, source, session, channels, known);
  }
  // What `pinsync run` will ask of each API quota (no request: the plan is arithmetic).
  state::Store* store = session.store();
  const QuotaPlan plan = plan_quotas(config, [store](const std::string& source) -> std::size_t {
    if (store == nullptr) return 0;
    const auto rows = store->rows(source);
    return rows ? rows->size() : 0;
  });
  for (const auto& scope : plan.stretched) {
    list.warn(scope.message(), "pinsync run polls these sources that much less often; raise the quota in the "
                               "service's console and set it in the config, or lengthen their poll_interval");
  }
  for (const auto& round : plan.long_first_rounds) list.ok(round.message());
  auto rest = list.take();
  items.insert(items.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  return items;
}

int command_check_unloaded(const std::filesystem::path& file, std::ostream& out, std::ostream& /*err*/) {
  (void)check_config_file(file, out);
  return k_exit_config;
}

int command_check(const Config& config, const CommandOptions& options, std::ostream& out, std::ostream& err) {
  auto opened = open_session(config, options, err, StoreAccess::none);
  if (!opened) return exit_code_for(opened.error());
  auto& session = *opened;
  int code = k_exit_ok;
  for (const auto& item : run_checks(config, options, *session, out)) code = worse(code, item.exit_code);
  return code;
}

}  // namespace pinsync::agent
