#pragma once
// A client connection's whole life: it reads requests, sends each to a server of the chosen
// backend and streams the response back, one exchange at a time (pipelined requests wait in
// the input buffer until the previous response is done). Owned by one worker.
//
//   kReadingHead ──head──> kConnecting ──connected──> kExchanging ──response done──> kReadingHead
//        │                  │  ^  │ refused: retry, or 5xx         │ 101
//        │   servers full:  v  │  v                                v
//        │               kQueued ── timeout.queue: 503          kTunnel ── either side closes ──> kClosing
//        ├── bad input, timeout, close ──────> kClosing
//        ├── a cacheable miss another request is fetching ──> kCacheWait ──> its response, or kConnecting
//        └── the stats listener: kLocalBody (a small request body) ──> kLocalWait (an operation on every
//            worker) ──> the reply, back to kReadingHead
//
// Backpressure: bodies are forwarded chunk by chunk and reading from one side stops while the
// other side's output buffer is above kHighWater, so memory per exchange stays bounded.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "weir/base/c_handle.h"
#include "weir/cache/miss_collapser.h"
#include "weir/cache/response_cache.h"
#include "weir/http/http_parser.h"
#include "weir/net/address.h"
#include "weir/proxy/failure.h"
#include "weir/proxy/head_writer.h"
#include "weir/proxy/runtime.h"
#include "weir/proxy/source_connections.h"
#include "weir/route/path_normalizer.h"
#include "weir/stats/stats_service.h"
#include "weir/tls/tls_bind.h"
#include "weir/upstream/upstream_connection.h"

namespace weir::proxy {

class WorkerContext;

class ClientSession {
 public:
  /// `tls`: the bind's certificates when it is a TLS bind (the handshake comes first).
  ClientSession(WorkerContext& ctx, const FrontendRuntime& fe, std::shared_ptr<const tls::TlsBind> tls,
                evutil_socket_t fd, const net::Address& peer);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  void start();
  /// This connection's count in its frontend's maxconn_per_src, released with the session.
  void holdSource(SourceHold hold) { sourceHold_ = std::move(hold); }
  const FrontendRuntime& frontend() const { return *fe_; }
  /// Between two requests: nothing of the next one read yet.
  bool betweenRequests() const;
  /// Idle keep-alive: between two requests with nothing left to send.
  bool idle() const;
  /// Closes an idle connection (logged as a connection that sent nothing, when it did not).
  void closeIdle() { closeBetweenRequests(); }
  /// A reload: this session, between two requests, goes on in `ctx` (the same worker's new
  /// context) under its frontend `fe` (the same name): the next request follows the new config.
  void moveTo(WorkerContext& ctx, const FrontendRuntime& fe);
  /// Graceful stop: an idle connection closes now (true); any other closes after its current
  /// response (a tunnel runs until the grace period ends).
  bool drain();
  /// A slot of `server`, handed over by its releaser to this session's queue ticket `waiter`.
  /// False when the session no longer waits under that ticket (the caller passes it on).
  bool takeGrantedSlot(const upstream::QueueWaiter& waiter, upstream::Server& server);
  /// The response the request this session waits for (`request`, its count of requests
  /// served) was collapsed into; nullptr when there is none to share. Ignored when the session
  /// no longer waits for it.
  void takeCollapsedResponse(uint64_t request, std::shared_ptr<const cache::CachedResponse> response);
  /// The reply of a stats request that waited for an operation on every worker (`request`,
  /// its count of requests served). Ignored when the session no longer waits for it.
  void takeDeferredReply(uint64_t request, const stats::StatsReply& reply);

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { kReadingHead, kCacheWait, kLocalBody, kLocalWait, kConnecting, kQueued, kExchanging, kTunnel, kClosing };
  enum class TimerRole { kNone, kHandshake, kKeepAlive, kHttpRequest, kCacheWait, kLocalWait, kQueue, kServer, kTunnel, kLinger };
  enum class CollapseRole { kNone, kLeader, kWaiter };

  struct RequestBody final : http::BodySink {
    ClientSession* session;
    void onBodyData(const char* data, size_t len) override { session->forwardRequestBody(data, len); }
  };
  struct ResponseBody final : http::BodySink {
    ClientSession* session;
    void onBodyData(const char* data, size_t len) override { session->forwardResponseBody(data, len); }
  };

  // libevent trampolines
  static void onClientRead(bufferevent*, void* self);
  static void onClientWrite(bufferevent*, void* self);
  static void onClientEvent(bufferevent*, short what, void* self);
  static void onUpstreamRead(bufferevent*, void* self);
  static void onUpstreamWrite(bufferevent*, void* self);
  static void onUpstreamEvent(bufferevent*, short what, void* self);
  static void onTimer(evutil_socket_t, short, void* self);

  // client side (client_session.cc)
  void transitionTo(State next);
  void handleClientRead();
  void handleClientWrite();
  void handleClientEvent(short what);
  // TLS (client_session_tls.cc)
  void openTlsClient(evutil_socket_t fd);
  void onHandshakeDone();
  void sendCloseNotify();  // before a TLS connection closes, so a session stays resumable
  void parseRequest();
  void onRequestHead();
  void forwardRequest();
  void onRequestComplete();
  void passRequestBody(evbuffer* in);
  void forwardRequestBody(const char* data, size_t len);
  void sendRequestBytes(const void* data, size_t len);
  void keepForReplay(const void* data, size_t len);
  void keepForReplay(evbuffer* from, size_t len);
  bool roomForReplay(size_t len);
  void failExchange(Failure f);
  void finishExchange();
  void startNextRequest();
  void resetForNextRequest();
  void closeAfterFlush();
  void finishClosing();
  void closeBetweenRequests();
  void abort(std::string_view termination);
  void destroy();
  /// `after` is a configured duration (a libevent common timeout: O(1) to arm).
  void armTimer(TimerRole role, std::chrono::milliseconds after);
  /// For deadlines computed at run time (what is left of an idle timeout).
  void armTimerUntil(TimerRole role, Clock::time_point deadline);
  void setTimerRole(TimerRole role);
  void startTimerEvent(const timeval* after);
  void handleTimer();
  /// The exchange is over: its counters (client_session_counters.cc) and its access-log line.
  void logExchange();
  void countExchange(Clock::time_point now);
  void countRetry(const upstream::Server& failed, bool redispatch);
  evbuffer* requestSink() const;
  bool requestSinkFull();
  void flushBoth();

  // routing and local replies (client_session_route.cc)
  bool routeRequest(http::RequestHead& req);
  void replyLocally(const route::HttpRule& rule);
  /// True when the request is answered (a file, 304, 404...); false to fall back to a backend.
  bool serveStatic(int rule, const route::TargetParts& parts);
  void finishLocalReply(int status, std::string_view termination, bool close);
  /// A reply weir writes itself ends the connection when a request body was not read in full
  /// (it cannot be skipped safely) or the client asked for it.
  bool localReplyCloses() const {
    return (requestParser_.request().hasBody() && !requestDone_) || closeAfterResponse_ || clientEof_;
  }
  void applyResponseRules(http::ResponseHead& resp);
  // the stats listener (client_session_stats.cc)
  void startStatsRequest(const http::RequestHead& req);
  void serveStats(const http::RequestHead& req, std::string_view body);
  void writeStatsReply(const stats::StatsReply& reply);
  void answerLocalWait(const stats::StatsReply& reply);  // ends kLocalWait, then pipelined requests go on

  // response cache (client_session_cache.cc)
  void chooseCache(int cacheIndex, const http::RequestHead& req);
  bool serveFromCache(const http::RequestHead& req, int backend);
  void serveCached(const http::RequestHead& req, const cache::CachedResponse& hit, int64_t now,
                   std::string_view cacheStatus);
  void startCapture(http::ResponseHead& resp);
  void captureHeaders(const http::ResponseHead& resp);
  bool captureHasRoom(size_t len);
  void captureBody(const char* data, size_t len);
  void captureBody(evbuffer* from, size_t len);
  void finishCapture();

  // collapsed forwarding (client_session_collapse.cc)
  cache::MissCollapser& collapser() const;
  /// True when another request fetches this key already: this one waits (kCacheWait).
  bool waitForCollapsedMiss(const http::RequestHead& req);
  /// The leader's exchange is over: waiters get `response`, or nullptr and go to a server.
  void endCollapse(std::shared_ptr<const cache::CachedResponse> response);
  void leaveCollapse();
  void resumeAfterCollapse(std::shared_ptr<const cache::CachedResponse> response);

  // server side (client_session_upstream.cc)
  void connectUpstream();
  void enqueue(int server);
  void leaveQueue();
  void finishQueueWait();
  void recheckQueue();
  /// A slot for what this request waits for (waiter_.server, or any the picker allows).
  upstream::Pick pickForWaiter(int64_t nowMs);
  void armQueueTimer();
  void connectTo(upstream::Server& server, bool probe);
  void onConnectFailed(Failure f);
  BufferEventPtr openUpstream(const upstream::Server& server);
  Failure connectFailure();
  void retryAfter(upstream::Server& failed);
  void onUpstreamConnected();
  void startServerWait();
  void checkServerWait();
  void handleUpstreamRead();
  void handleUpstreamWrite();
  void handleUpstreamEvent(short what);
  void parseResponse();
  void onResponseHead();
  void onResponseComplete();
  bool passResponseBody(evbuffer* in, evbuffer* clientOut);
  void onUpstreamClosed(bool timedOut);
  bool retryAfterServerClosed();
  void forwardResponseBody(const char* data, size_t len);
  void releaseServer();
  void dropUpstream();

  // tunnel (client_session_tunnel.cc)
  void startTunnel();
  void pumpTunnel(bufferevent* from, bufferevent* to);

  WorkerContext* ctx_;  // moved by a reload (moveTo)
  const FrontendRuntime* fe_;
  net::Address peer_;
  uint64_t id_;
  uint64_t clientHash_;  // balance: source
  std::string peerText_;
  std::string peerIp_;
  SourceHold sourceHold_;
  std::shared_ptr<const tls::TlsBind> tls_;  // null on a plain bind
  SSL* ssl_ = nullptr;                       // owned by client_ on a TLS bind
  bool handshakeDone_ = false;
  std::string_view tlsVersion_;  // OpenSSL's static names, once the handshake is done
  std::string_view tlsCipher_;
  std::string sni_;
  BufferEventPtr client_;
  // One timer serves every role. It is lazy: a role's deadline only moves timerDeadline_, and
  // the libevent event is touched only when it would fire too late. An event that fires early
  // (the deadline moved on, or the role ended) re-arms itself for the rest, or does nothing.
  EventPtr timer_;
  TimerRole timerRole_ = TimerRole::kNone;
  Clock::time_point timerDeadline_{};
  Clock::time_point timerFiresAt_{};  // when the pending event fires; meaningful while timerPending_
  bool timerPending_ = false;
  State state_ = State::kReadingHead;
  RequestBody requestBody_;
  ResponseBody responseBody_;
  http::HttpParser requestParser_;
  http::HttpParser responseParser_;
  std::unique_ptr<upstream::UpstreamConnection> upstream_;
  EvBufferPtr pending_;  // request body staged while connecting
  // Request body bytes sent on the current connection, kept until the response begins so that
  // a retry can send them again (bounded by kReplayLimit; past it, no retry resends a body).
  EvBufferPtr replay_;
  bool replayable_ = true;
  std::string outHead_;  // the request head as sent to the server (kept for a retry)
  std::string scratch_;
  std::string routePath_;  // the request's normalised path, as the rules saw and edited it
  int cacheIndex_ = -1;  // the response cache this request may use (config.caches), or -1
  std::string cacheKey_;
  std::shared_ptr<cache::CachedResponse> capture_;  // the response being kept for the cache
  uint64_t captureLimit_ = 0;
  CollapseRole collapseRole_ = CollapseRole::kNone;
  bool clientOutputPaused_ = false;
  bool lingering_ = false;      // closing: drain what the client still sends (see finishClosing)
  bool lingerStarted_ = false;
  size_t lingerDrained_ = 0;  // pipelined requests wait: local replies filled the output

  // the current exchange
  upstream::Backend* backend_ = nullptr;
  upstream::Server* server_ = nullptr;
  bool holdsServerSlot_ = false;
  bool holdsProbe_ = false;  // the slot is the server's probe request (passive health)
  bool inQueue_ = false;
  upstream::QueueWaiter waiter_;  // the last time this request queued
  Clock::time_point queuedAt_{};
  int64_t queueWaitMs_ = 0;
  bool connecting_ = false;
  std::vector<int> tried_;
  int retries_ = 0;
  Failure lastConnectFailure_ = Failure::kConnectFailed;
  bool requestDone_ = false;
  bool responseHeadSent_ = false;
  bool responseStarted_ = false;
  bool freshConnection_ = false;
  std::chrono::milliseconds upstreamIdle_{0};  // how long the connection may then wait in the pool  // the next attempt must not take a pooled connection
  bool closeAfterResponse_ = false;
  bool upstreamReadPaused_ = false;  // response side waits for the client to drain
  bool requestBodyPaused_ = false;   // request side waits for the server to drain
  bool clientEof_ = false;
  bool sent100_ = false;
  ClientFraming clientFraming_ = ClientFraming::kNone;
  // Content-Length bodies bypass llhttp: whole evbuffer chains move from one side to the other.
  bool requestPassthrough_ = false;
  uint64_t requestBodyLeft_ = 0;
  bool responsePassthrough_ = false;
  uint64_t responseBodyLeft_ = 0;
  int status_ = -1;
  uint64_t bytesIn_ = 0;  // of this request, from the client
  uint64_t bytesOut_ = 0;
  std::string_view termination_ = "--";
  bool deniedByRule_ = false;  // dreq counts these, not malformed requests (also "PR")
  std::chrono::system_clock::time_point acceptDate_;
  Clock::time_point requestStart_{};
  Clock::time_point headDone_{};
  Clock::time_point connectStart_{};
  Clock::time_point connected_{};
  Clock::time_point responseHeadAt_{};
  Clock::time_point lastActivity_{};
  Clock::time_point lastServerRead_{};  // timeout.server: the read side's inactivity (kServer)
  int requestsServed_ = 0;
  bool logged_ = false;
};

}  // namespace weir::proxy
