// A scripted http::Transport for unit tests: answers requests from a queue of canned
// responses or failures, and records every request it was given.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "core/http.h"

namespace pinsync::testing {

class FakeTransport final : public http::Transport {
 public:
  using Step = std::variant<http::Response, http::TransportError>;

  // Queues a response with `status`, `body` and optional headers.
  void reply(long status, std::string body, http::Headers headers = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    m_steps.emplace_back(std::move(r));
  }
  // Queues a failure with no response.
  void fail(ErrorKind kind, http::SendStage stage) {
    m_steps.emplace_back(http::TransportError{{kind, "scripted failure"}, stage});
  }

  std::expected<http::Response, http::TransportError> send(const http::Request& request) override {
    requests.push_back(request);
    if (on_send) on_send(request);
    Step step;
    if (!m_steps.empty()) {
      step = std::move(m_steps.front());
      m_steps.pop_front();
    } else if (answer) {
      step = answer(request);
    } else {
      return std::unexpected(http::TransportError{{ErrorKind::internal, "no scripted answer left"},
                                                  http::SendStage::not_sent});
    }
    auto* r = std::get_if<http::Response>(&step);
    if (r == nullptr) return std::unexpected(std::get<http::TransportError>(step));
    if (stream_piece > 0 && request.on_body && r->status >= 200 && r->status <= 299) {
      // As libcurl does: a 2xx body handed over in pieces as it arrives, none of it kept.
      http::Response head = *r;
      head.body.clear();
      for (std::size_t at = 0; at < r->body.size(); at += stream_piece) {
        auto taken = request.on_body(head, std::string_view(r->body).substr(at, stream_piece));
        if (!taken) return std::unexpected(http::TransportError{taken.error(), http::SendStage::maybe_sent});
      }
      return head;
    }
    return *r;
  }

  // When > 0, a request with on_body gets a 2xx body in pieces of this size (as libcurl
  // hands them over) instead of whole in Response::body.
  std::size_t stream_piece = 0;

  std::vector<http::Request> requests;
  // Called with each request before it is answered: a test looks at the world mid-pass.
  std::function<void(const http::Request&)> on_send;
  // Answers a request when no scripted answer is left (unset: such a request fails with
  // "no scripted answer left"): a fake server that answers whatever comes.
  std::function<Step(const http::Request&)> answer;

 private:
  std::deque<Step> m_steps;
};

}  // namespace pinsync::testing
