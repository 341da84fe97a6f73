#include "agent/cli/agent_client.h"

#include <istream>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>

namespace pinsync::agent {

Result<std::optional<AgentAnswer>> ask_agent(std::uint16_t port, const std::string& path, const std::string& body,
                                             std::chrono::seconds timeout) {
  const std::string host = "127.0.0.1";
  const std::string listen = host + ":" + std::to_string(port);
  try {
    Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    try {
      session.sendRequest(request) << body;
    } catch (const Poco::Net::ConnectionRefusedException&) {
      return std::optional<AgentAnswer>{};
    }
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    AgentAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, answer.body);
    return std::optional<AgentAnswer>{std::move(answer)};
  } catch (const Poco::Net::ConnectionRefusedException&) {
    return std::optional<AgentAnswer>{};
  } catch (const Poco::Exception& e) {
    return fail(ErrorKind::transient, "the agent at " + listen + " did not answer " + path + " (" + e.displayText() +
                                          "); see its log, or stop it and try again");
  }
}

std::string agent_error_text(const AgentAnswer& answer) {
  try {
    const auto parsed = Poco::JSON::Parser().parse(answer.body);
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
      const auto object = parsed.extract<Poco::JSON::Object::Ptr>();
      if (object->has("error")) return object->getValue<std::string>("error");
    }
  } catch (const Poco::Exception&) {
  }
  return answer.body;
}

}  // namespace pinsync::agent
