#include "sandbox/pinned/faults.h"

#include <cmath>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

std::expected<double, FaultsProblem> number_in(const Poco::JSON::Object& patch, const std::string& name,
                                               double low, double high) {
  auto n = as_number(patch.get(name));
  if (!n || !std::isfinite(*n)) return std::unexpected(FaultsProblem{name, "must be a number"});
  if (*n < low || *n > high) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "must be between %g and %g", low, high);
    return std::unexpected(FaultsProblem{name, buf});
  }
  return *n;
}

}  // namespace

std::expected<FaultSettings, FaultsProblem> apply_fault_patch(FaultSettings base,
                                                              const Poco::JSON::Object& patch) {
  struct Knob {
    const char* name;
    double* target;
    double high;
  };
  const Knob knobs[] = {
      {"error_rate", &base.error_rate, 1.0},
      {"rate_limited_rate", &base.rate_limited_rate, 1.0},
      {"drop_after_commit_rate", &base.drop_after_commit_rate, 1.0},
      {"latency_ms", &base.latency_ms, 60000.0},
      {"latency_spike_rate", &base.latency_spike_rate, 1.0},
      {"latency_spike_ms", &base.latency_spike_ms, 60000.0},
      {"idempotency_ttl_seconds", &base.idempotency_ttl_seconds, 1.0e9},
      {"in_progress_ttl_seconds", &base.in_progress_ttl_seconds, 1.0e9},
      {"truncated_json_rate", &base.truncated_json_rate, 1.0},
      {"html_502_rate", &base.html_502_rate, 1.0},
      {"wrong_types_rate", &base.wrong_types_rate, 1.0},
      {"empty_201_rate", &base.empty_201_rate, 1.0},
      {"missing_id_rate", &base.missing_id_rate, 1.0},
  };
  for (const std::string& name : patch.getNames()) {
    bool known = false;
    for (const Knob& knob : knobs) {
      if (name != knob.name) continue;
      auto v = number_in(patch, name, 0.0, knob.high);
      if (!v) return std::unexpected(v.error());
      *knob.target = *v;
      known = true;
    }
    if (name == "rate_limit_per_second" || name == "bad_answer_limit") {
      auto v = as_integer(patch.get(name));
      if (!v || *v < 0) {
        return std::unexpected(FaultsProblem{name, "must be a non-negative integer (0 = no limit)"});
      }
      (name == "rate_limit_per_second" ? base.rate_limit_per_second : base.bad_answer_limit) = *v;
      known = true;
    }
    if (name == "bad_answer_match") {
      const Poco::Dynamic::Var v = patch.get(name);
      if (json_type(v) != JsonType::string) return std::unexpected(FaultsProblem{name, "must be a string"});
      base.bad_answer_match = v.extract<std::string>();
      known = true;
    }
    if (!known) return std::unexpected(FaultsProblem{name, "unknown setting"});
  }
  return base;
}

std::string to_json(const FaultSettings& s) {
  JsonOut out;
  out.begin_object()
      .key("error_rate").value(s.error_rate)
      .key("rate_limited_rate").value(s.rate_limited_rate)
      .key("latency_ms").value(s.latency_ms)
      .key("latency_spike_rate").value(s.latency_spike_rate)
      .key("latency_spike_ms").value(s.latency_spike_ms)
      .key("drop_after_commit_rate").value(s.drop_after_commit_rate)
      .key("rate_limit_per_second").value(s.rate_limit_per_second)
      .key("idempotency_ttl_seconds").value(s.idempotency_ttl_seconds)
      .key("in_progress_ttl_seconds").value(s.in_progress_ttl_seconds)
      .key("truncated_json_rate").value(s.truncated_json_rate)
      .key("html_502_rate").value(s.html_502_rate)
      .key("wrong_types_rate").value(s.wrong_types_rate)
      .key("empty_201_rate").value(s.empty_201_rate)
      .key("missing_id_rate").value(s.missing_id_rate)
      .key("bad_answer_match").value(s.bad_answer_match)
      .key("bad_answer_limit").value(s.bad_answer_limit)
      .end_object();
  return out.take();
}

Faults::Faults(FaultSettings startup, std::uint64_t seed)
    : m_startup(startup), m_settings(startup), m_random(seed) {}

FaultSettings Faults::settings() const {
  std::lock_guard lock(m_mutex);
  return m_settings;
}

std::expected<FaultSettings, FaultsProblem> Faults::apply(const Poco::JSON::Object& patch) {
  std::lock_guard lock(m_mutex);
  auto next = apply_fault_patch(m_settings, patch);
  if (next) {
    m_settings = *next;
    m_bad_answers_given = 0;
    m_stop_cv.notify_all();  // sleepers take the new latency
  }
  return next;
}

void Faults::reset() {
  std::lock_guard lock(m_mutex);
  m_settings = m_startup;
  m_windows.clear();
  m_bad_answers_given = 0;
  m_stop_cv.notify_all();
}

bool Faults::roll(double rate) {
  if (rate <= 0.0) return false;
  if (rate >= 1.0) return true;
  std::lock_guard lock(m_mutex);
  return std::uniform_real_distribution<double>(0.0, 1.0)(m_random) < rate;
}

std::optional<BadAnswer> Faults::pick_bad_answer(std::string_view request_body) {
  std::lock_guard lock(m_mutex);
  const FaultSettings& s = m_settings;
  if (s.bad_answer_limit > 0 && m_bad_answers_given >= s.bad_answer_limit) return std::nullopt;
  if (request_body.find(s.bad_answer_match) == std::string_view::npos) return std::nullopt;
  const std::pair<double, BadAnswer> kinds[] = {
      {s.truncated_json_rate, BadAnswer::truncated_json}, {s.html_502_rate, BadAnswer::html_502},
      {s.wrong_types_rate, BadAnswer::wrong_types},       {s.empty_201_rate, BadAnswer::empty_body},
      {s.missing_id_rate, BadAnswer::missing_id},
  };
  for (const auto& [rate, kind] : kinds) {
    if (rate <= 0.0) continue;
    if (rate < 1.0 && std::uniform_real_distribution<double>(0.0, 1.0)(m_random) >= rate) continue;
    ++m_bad_answers_given;
    return kind;
  }
  return std::nullopt;
}

RateDecision Faults::take_rate_token(const std::string& bucket) {
  using namespace std::chrono;
  std::lock_guard lock(m_mutex);
  RateDecision d;
  if (m_settings.rate_limit_per_second <= 0) return d;
  d.limited = true;
  d.limit = m_settings.rate_limit_per_second;
  auto now = steady_clock::now();
  Window& w = m_windows[bucket];
  if (w.used == 0 || now - w.start >= seconds(1)) {
    w.start = now;
    w.used = 0;
  }
  // A fixed one-second window per key: simple to reason about in tests and benchmarks.
  if (w.used < d.limit) {
    ++w.used;
  } else {
    d.allowed = false;
  }
  d.remaining = d.limit - w.used;
  auto left = w.start + seconds(1) - now;
  d.reset_seconds = std::max<std::int64_t>(1, ceil<seconds>(left).count());
  return d;
}

void Faults::sleep_latency() {
  std::unique_lock lock(m_mutex);
  const auto start = std::chrono::steady_clock::now();
  const double spike = m_settings.latency_spike_rate > 0.0 &&
                               std::uniform_real_distribution<double>(0.0, 1.0)(m_random) < m_settings.latency_spike_rate
                           ? m_settings.latency_spike_ms
                           : 0.0;
  // The deadline follows the settings: lowering latency_ms ends the sleeps already under way
  // (a test that killed a client mid-request need not wait out the old latency).
  // wait_until releases the mutex while waiting, so sleepers never block other requests.
  while (!m_stopping) {
    const double ms = m_settings.latency_ms + spike;
    const auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double, std::milli>(ms));
    if (ms <= 0.0 || std::chrono::steady_clock::now() >= until) return;
    m_stop_cv.wait_until(lock, until);
  }
}

void Faults::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_stop_cv.notify_all();
}

}  // namespace pinsync_sandbox
