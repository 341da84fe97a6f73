// The bad answers of the fault injection (BadAnswer): rewrites a successful answer of the
// Pinned Events API the way a broken proxy or a half-deployed server would.
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "sandbox/pinned/faults.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_gateway_page =
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>502 Bad Gateway</h1><p>The upstream server sent an invalid response.</p>"
    "<hr><address>nginx</address></body></html>\n";

// Applies `change` to each object the answer is about: {"doc":{…}} or every docs[i].
template <typename Change>
void for_each_doc(Poco::JSON::Object& root, Change change) {
  if (auto doc = root.getObject("doc")) change(*doc);
  if (auto docs = root.getArray("docs")) {
    for (std::size_t i = 0; i < docs->size(); ++i) {
      if (auto d = docs->getObject(static_cast<unsigned>(i))) change(*d);
    }
  }
}

// Returns the answer with `change` applied to its doc(s); the body unchanged when it is
// not a JSON object (it always is, coming from PinnedApi).
template <typename Change>
std::string rewritten(const std::string& body, Change change) {
  try {
    auto root = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    for_each_doc(*root, change);
    std::ostringstream out;
    root->stringify(out);
    return out.str();
  } catch (const Poco::Exception&) {
    return body;
  }
}

}  // namespace

void spoil_answer(BadAnswer kind, std::string_view route_template, Response& answer) {
  // Classifications have no ids: their slug plays that part.
  const std::string field = route_template.ends_with("/classifications") ? "slug" : "id";
  switch (kind) {
    case BadAnswer::truncated_json:
      answer.body.resize(answer.body.size() / 2);
      return;
    case BadAnswer::html_502:
      answer.status = 502;
      answer.content_type = "text/html";
      answer.body = std::string(k_gateway_page);
      return;
    case BadAnswer::wrong_types:
      answer.body = rewritten(answer.body, [&](Poco::JSON::Object& doc) {
        if (!doc.has(field)) return;
        if (field == "slug") doc.set(field, 42);
        else doc.set(field, "abc");
      });
      return;
    case BadAnswer::empty_body:
      answer.body.clear();
      return;
    case BadAnswer::missing_id:
      answer.body = rewritten(answer.body, [&](Poco::JSON::Object& doc) { doc.remove(field); });
      return;
  }
}

}  // namespace pinsync_sandbox
