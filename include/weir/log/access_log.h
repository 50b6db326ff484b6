#pragma once
// The access log: one line per exchange, HAProxy's httplog format or JSON.
// Owned by one worker: lines are appended to a worker-local buffer and written out by a short
// timer or when the buffer fills, so logging never costs a syscall per request. Writes are cut
// at line boundaries into pieces of at most PIPE_BUF bytes, so workers sharing one pipe or file
// never interleave within a line.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "weir/base/c_handle.h"
#include "weir/config/config.h"
#include "weir/log/log_target.h"

namespace weir::log {

struct AccessLogEntry {
  std::string_view client;  // "ip:port"
  std::chrono::system_clock::time_point acceptDate;
  std::string_view frontend;
  std::string_view backend;  // "" when answered locally
  std::string_view server;   // "" when no server was reached
  // HAProxy timers in ms, -1 when the phase never happened.
  int64_t TR = -1;  // request head received
  int64_t Tw = -1;  // waiting in queues
  int64_t Tc = -1;  // connecting to the server
  int64_t Tr = -1;  // server response head
  int64_t Ta = -1;  // whole exchange
  int status = -1;
  uint64_t bytesRead = 0;  // bytes sent to the client
  std::string_view termination = "--";
  int retries = 0;
  int serverConns = 0;   // requests in flight on the server when logged (srv_conn)
  int queuedBehind = 0;  // requests waiting before this one in the backend queue (backend_queue)
  std::string_view method;
  std::string_view target;
  int versionMinor = 1;
  bool badRequest = false;  // logged as <BADREQ> like HAProxy
  // TLS binds only ("" on plain HTTP): OpenSSL's names, and the name the client asked for.
  std::string_view tlsVersion;
  std::string_view tlsCipher;
  std::string_view sni;
};

void formatHttpLog(const AccessLogEntry& e, std::string& out);
void formatJson(const AccessLogEntry& e, std::string& out);

class AccessLog {
 public:
  /// A target without fd disables logging. The target is shared and not owned.
  AccessLog(event_base* base, LogTarget target, config::LogFormat format);
  ~AccessLog();
  bool enabled() const { return target_.fd >= 0; }
  void write(const AccessLogEntry& e);
  void flush();

 private:
  static void onFlushTimer(evutil_socket_t, short, void* self);

  LogTarget target_;
  config::LogFormat format_;
  std::string buffer_;
  EventPtr timer_;
};

}  // namespace weir::log
