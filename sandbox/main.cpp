// pinsync-sandbox entry point: parse flags, start the server, print the listening line,
// wait for SIGTERM/SIGINT, stop cleanly (exit 0).
#include <csignal>
#include <cstdio>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include <pthread.h>

#include "sandbox/airtable/api.h"
#include "sandbox/airtable/control.h"
#include "sandbox/control.h"
#include "sandbox/google/emulation.h"
#include "sandbox/google/published.h"
#include "sandbox/http/server.h"
#include "sandbox/options.h"
#include "sandbox/pinned/api.h"

namespace {

int run(const std::vector<std::string>& args) {
  using namespace pinsync_sandbox;
  auto options = parse_options(args);
  if (!options) {
    std::fprintf(stderr, "pinsync-sandbox: error: %s\n", options.error().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }

  // Block the stop signals before any thread starts so every thread inherits the mask and
  // sigwait below is the only place they are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client hanging up mid-response must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  std::uint64_t seed = options->seed != 0 ? options->seed : std::random_device{}();
  Faults faults(options->faults, seed);
  RequestStats stats;
  auto google = GoogleSandbox::create(options->google, stats);
  if (!google) {
    std::fprintf(stderr, "pinsync-sandbox: error: %s\n", google.error().c_str());
    return 2;
  }
  PinnedApi pinned(options->keys, options->channels, faults, stats);
  ControlApi control(pinned, faults, stats);
  AirtableApi airtable(options->airtable_tokens, options->airtable, stats);
  AirtableControl airtable_control(airtable);
  PublishedCsv published;
  PublishedCsvControl published_control(published);
  std::vector<Service*> services = {&pinned, &airtable, &airtable_control, &published, &published_control};
  for (Service* s : (*google)->services()) services.push_back(s);  // /v4, /drive/v3, /token, /_sandbox/sheets|google
  services.push_back(&control);
  options->server.on_accept = [&stats] { stats.connection_opened(); };
  Server server(services, options->server);
  auto port = server.start();
  if (!port) {
    std::fprintf(stderr, "pinsync-sandbox: error: %s\n", port.error().c_str());
    return 1;
  }
  std::printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  faults.stop();  // wakes requests sleeping on injected latency
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pinsync-sandbox: error: %s\n", e.what());
    return 1;
  }
}
