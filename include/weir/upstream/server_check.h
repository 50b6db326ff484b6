#pragma once
// One server's active health check, run over and over on the health checker's event loop:
// connect (to the server, or to `port`), send the check request, read the answer, judge it,
// feed the verdict to the server's HealthCounter, and tell everyone when the server changes
// state. Owned by the health checker's thread.

#include <chrono>
#include <string>

#include "weir/base/c_handle.h"
#include "weir/config/config.h"
#include "weir/http/http_parser.h"
#include "weir/net/address.h"
#include "weir/upstream/health_counter.h"
#include "weir/upstream/server_health.h"

namespace weir::upstream {

class Backend;
class Server;

class ServerCheck {
 public:
  /// The first check runs after `firstDelay` (checks of different servers are spread).
  ServerCheck(event_base* base, Backend& backend, Server& server, std::chrono::milliseconds firstDelay);
  ~ServerCheck();
  ServerCheck(const ServerCheck&) = delete;
  ServerCheck& operator=(const ServerCheck&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  /// Keeps the start of the body for `expect: string` (a check answer is small).
  struct BodyCollector final : http::BodySink {
    std::string body;
    void onBodyData(const char* data, size_t len) override;
  };

  static void onTimer(evutil_socket_t, short, void* self);
  static void onRead(bufferevent*, void* self);
  static void onEvent(bufferevent*, short what, void* self);

  void start();
  void handleRead();
  void handleEvent(short what);
  CheckResult judgeResponse() const;
  void finish(CheckResult result);
  void applyVerdict(const CheckResult& result);
  void logTransition(bool up, const CheckResult& result) const;
  void schedule(std::chrono::milliseconds delay);

  event_base* base_;
  Backend& backend_;
  Server& server_;
  const config::HealthCheckConfig& cfg_;
  net::Address target_;
  std::string request_;
  HealthCounter counter_;
  uint32_t generation_ = 0;  // of the server in the slot (runtime API, DNS): a new one starts afresh
  bool addressRead_ = false;  // target_ and request_ are read at the first check, not before
  EventPtr timer_;
  BufferEventPtr bev_;
  bool running_ = false;  // the timer is the check's timeout while running, the next check's start otherwise
  bool paused_ = false;   // the last start found checks off or the server in maintenance
  bool connected_ = false;
  Clock::time_point startedAt_;
  BodyCollector body_;
  http::HttpParser parser_;
};

}  // namespace weir::upstream
