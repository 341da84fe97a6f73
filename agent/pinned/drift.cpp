#include "agent/pinned/drift.h"

#include <optional>
#include <sstream>
#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include "core/datetime.h"

namespace pinsync::agent {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

bool same(const Var& a, const Var& b);

bool same_object(const Object::Ptr& a, const Object::Ptr& b) {
  if (a->size() != b->size()) return false;
  for (const auto& [name, value] : *a) {
    if (!b->has(name) || !same(value, b->get(name))) return false;
  }
  return true;
}

bool same_array(const Array::Ptr& a, const Array::Ptr& b) {
  if (a->size() != b->size()) return false;
  for (unsigned i = 0; i < a->size(); ++i) {
    if (!same(a->get(i), b->get(i))) return false;
  }
  return true;
}

// Structural equality; numbers compare by value so 1 and 1.0 are the same.
bool same(const Var& a, const Var& b) {
  if (a.isEmpty() || b.isEmpty()) return a.isEmpty() && b.isEmpty();
  if (a.type() == typeid(Object::Ptr) || b.type() == typeid(Object::Ptr)) {
    if (a.type() != b.type()) return false;
    return same_object(a.extract<Object::Ptr>(), b.extract<Object::Ptr>());
  }
  if (a.type() == typeid(Array::Ptr) || b.type() == typeid(Array::Ptr)) {
    if (a.type() != b.type()) return false;
    return same_array(a.extract<Array::Ptr>(), b.extract<Array::Ptr>());
  }
  if (a.isNumeric() && b.isNumeric()) return a.convert<double>() == b.convert<double>();
  if (a.isBoolean() || b.isBoolean()) {
    return a.isBoolean() && b.isBoolean() && a.convert<bool>() == b.convert<bool>();
  }
  if (a.isString() != b.isString()) return false;
  return a.convert<std::string>() == b.convert<std::string>();
}

// The instant an ISO-8601 date-time with an offset names, or nullopt.
std::optional<date::sys_seconds> instant_of(const Var& v) {
  if (!v.isString()) return std::nullopt;
  const auto parsed = parse_date_time(v.convert<std::string>(), DateOrder::YMD);
  if (!parsed || !parsed->utc_offset) return std::nullopt;
  return date::sys_seconds{parsed->local.time_since_epoch() - *parsed->utc_offset};
}

// startAt and endAt name instants: a server that writes them with another offset (or in
// UTC) holds the same time.
bool same_field(const std::string& name, const Var& sent, const Var& held) {
  if (same(sent, held)) return true;
  if (name != "startAt" && name != "endAt") return false;
  const auto a = instant_of(sent);
  return a && a == instant_of(held);
}

}  // namespace

Result<std::vector<FieldChange>> payload_changes(std::string_view before_json, std::string_view after_json) {
  try {
    Poco::JSON::Parser parser;
    auto before = parser.parse(std::string(before_json)).extract<Object::Ptr>();
    parser.reset();
    auto after = parser.parse(std::string(after_json)).extract<Object::Ptr>();
    auto text = [](const Var& v) {
      std::ostringstream out;
      Poco::JSON::Stringifier::condense(v, out);
      return out.str();
    };
    std::vector<FieldChange> out;
    // Poco's Object keeps its keys sorted: the order is by name, stable from run to run.
    for (const auto& [name, value] : *after) {
      if (before->has(name) && same_field(name, value, before->get(name))) continue;
      out.push_back({name, before->has(name) ? text(before->get(name)) : "", text(value)});
    }
    for (const auto& [name, value] : *before) {
      if (!after->has(name)) out.push_back({name, text(value), ""});
    }
    return out;
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::invalid, "comparing two payloads: not a JSON object (" + e.displayText() + ")");
  } catch (const std::exception& e) {
    return fail(ErrorKind::invalid, std::string("comparing two payloads: not a JSON object (") + e.what() + ")");
  }
}

std::optional<std::int64_t> event_channel(std::string_view event_json) {
  try {
    auto event = Poco::JSON::Parser().parse(std::string(event_json)).extract<Object::Ptr>();
    for (const char* wrapper : {"doc", "data"}) {
      if (event->size() == 1 && event->isObject(wrapper)) event = event->getObject(wrapper);
    }
    if (!event->has("channelId")) return std::nullopt;
    const Var channel = event->get("channelId");
    if (!channel.isNumeric()) return std::nullopt;
    return channel.convert<std::int64_t>();
  } catch (const std::exception&) {
    return std::nullopt;  // Poco's exceptions are std::exceptions too: no channel to tell
  }
}

Result<bool> event_differs(std::string_view payload_json, std::string_view event_json) {
  try {
    Poco::JSON::Parser parser;
    auto payload = parser.parse(std::string(payload_json)).extract<Object::Ptr>();
    parser.reset();
    auto event = parser.parse(std::string(event_json)).extract<Object::Ptr>();
    for (const char* wrapper : {"doc", "data"}) {
      if (event->size() == 1 && event->isObject(wrapper)) event = event->getObject(wrapper);
    }
    for (const auto& [name, value] : *payload) {
      if (!event->has(name) || !same_field(name, value, event->get(name))) return true;
    }
    return false;
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::invalid, "comparing an event with its row: not a JSON object (" + e.displayText() + ")");
  } catch (const std::exception& e) {
    return fail(ErrorKind::invalid, std::string("comparing an event with its row: not a JSON object (") + e.what() + ")");
  }
}

}  // namespace pinsync::agent
