#pragma once
// One client connection of the fake backend.

#include <event2/util.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "backend_shared.h"
#include "c_handles.h"
#include "request_parser.h"
#include "response_writer.h"

namespace weir::fake {

class Worker;

/// Reads requests in order, runs each one's ResponseScript (query string over --route) and
/// writes the answer; records what arrived and keeps the shared stats. Owned by one Worker and
/// confined to its thread. close() hands the connection back to the worker, which destroys it
/// later from the loop, never inside one of the connection's own callbacks.
class Connection {
 public:
  Connection(Worker& worker, BackendShared& shared);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Takes ownership of an accepted socket; false (socket closed) if libevent fails.
  bool start(event_base* base, evutil_socket_t fd);

 private:
  //   kReading ──request──> [kDelaying ──timer──>] answer ──keep-alive──> kReading
  //      │                                           └──close──> kDraining
  //      ├─ noresponse=1, stall_after=N ──> kStalled ──EOF──> kClosed
  //      ├─ upgrade=1 ─────> kTunnel ───EOF──> kDraining
  //      ├─ reset=1 / error ─────────────────> kClosed
  //      └─ --idle-timeout / request after drop_next=1 ──> kHangingUp
  //   kDraining ──output flushed──> kLingering (FIN sent) ──EOF/timeout──> kClosed
  //   kHangingUp ──output flushed──> FIN + kClosed at once (no lingering)
  enum class State { kReading, kDelaying, kStalled, kTunnel, kDraining, kLingering, kHangingUp, kClosed };

  static void onRead(bufferevent*, void* self) { static_cast<Connection*>(self)->handleRead(); }
  static void onWrite(bufferevent*, void* self) { static_cast<Connection*>(self)->handleWrite(); }
  static void onEvent(bufferevent*, short what, void* self) { static_cast<Connection*>(self)->handleEvent(what); }
  static void onTimer(evutil_socket_t, short, void* self) { static_cast<Connection*>(self)->handleTimer(); }

  void handleRead();
  void dispatchRead();
  void handleWrite();
  void flushOutput();
  void outputFlushed();
  void handleEvent(short what);
  void handleTimer();
  void handlePeerClosed();
  void handleIdleTimeout();

  void parseInput();
  void handleHead();
  void handleMessage();
  void handleMalformed();
  void startDroppedRequest();
  void chooseScript(std::string_view path, std::string_view query);

  void answer();
  void answerControl();
  std::string setRouteFromQuery(std::string_view query);
  void answerSimple(int status, std::string_view contentType, std::string_view body, bool keepOpen);
  BodySource scriptBody();
  void startTunnel();
  void pumpTunnel();
  void finishAnswer(bool ok, bool keepOpen);

  void startDraining();
  void startLingering();
  void startHangingUp();
  void hangUp();
  void resetConnection();
  void close();
  void transitionTo(State next) { state_ = next; }

  bool armTimer(std::chrono::milliseconds delay);
  void startIdleTimerIfIdle();
  void cancelIdleTimer();
  void drainInput();
  uint64_t connectionId();
  evbuffer* input() { return bufferevent_get_input(bev_.get()); }
  evbuffer* output() { return bufferevent_get_output(bev_.get()); }

  Worker& worker_;
  BackendShared& shared_;
  BufferEventPtr bev_;
  EventPtr timer_;  // delay=MS, --idle-timeout between requests, then the lingering-close timeout
  RequestParser parser_;
  ResponseWriter writer_;
  State state_ = State::kReading;

  const ResponseScript* script_ = nullptr;  // the current request's script: always queryScript_
  ResponseScript queryScript_;              // route script + query keys, reused
  std::string scriptError_;                 // invalid query keys: answer 400
  std::string echoBody_;                    // echo=1 body, reused
  bool controlRequest_ = false;             // current request is /__fake/*
  bool tunnel_ = false;                     // current request switches to the echo tunnel
  bool sawRequest_ = false;
  bool controlConnection_ = false;  // first request was /__fake/*: no idle timeout
  bool answeredKeepAlive_ = false;  // an answer left the connection open: idle once it is written
  bool idleTimerArmed_ = false;     // timer_ runs the --idle-timeout
  bool dropNext_ = false;           // drop_next=1 was answered: hang up after the next request
  bool dropping_ = false;           // the current request is that next request
  bool countedOpen_ = false;  // counted in stats.open
  bool peerClosed_ = false;   // EOF from the client
  uint64_t id_ = 0;           // conn=C, assigned when first recorded
  uint64_t requests_ = 0;     // req=R, requests excluding /__fake/*
};

}  // namespace weir::fake
