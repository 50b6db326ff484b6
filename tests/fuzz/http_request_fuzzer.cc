// libFuzzer target: the input is what one client sends on one connection.
//
// Each request the parser accepts goes through what ClientSession does before a server sees it
// (routeRequest's rewrite of the target, writeRequestHead, a Content-Length body passed through
// as it is, a chunked one re-chunked piece by piece), and the bytes meant for the server are
// parsed again by a fresh parser: they must be exactly one request with the same method,
// target, framing and body, with nothing left over. The stream is read twice, in one piece and
// cut into small pieces as a socket may deliver it, and both reads must see the same requests.
// A failure here is a request the server would read differently from weir: a desync.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "weir/http/http_parser.h"
#include "weir/proxy/head_writer.h"
#include "weir/route/path_normalizer.h"

namespace {

using weir::fuzz::BodyCollector;
using weir::fuzz::FeedPlan;
using weir::http::BodyFraming;
using weir::http::HttpParser;
using weir::http::ParserLimits;
using weir::http::RequestHead;
using weir::proxy::ForwardingInfo;

/// Small enough that the fuzzer reaches every limit (head, fields, URI, body) with short inputs.
constexpr ParserLimits kSmallLimits{512, 8, 128, 64};
/// The server's parser is not weir's client side: its limits are not what is under test.
constexpr ParserLimits kServerLimits{1 << 20, 100000, 1 << 20};

/// One request as weir forwards it.
struct Forwarded {
  std::string method;
  std::string target;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t contentLength = 0;
  std::string head;  // writeRequestHead's output
  std::string body;  // the body's bytes, de-chunked
  std::string wire;  // head and body as the server gets them (chunk sizes follow the reads)

  bool sameRequest(const Forwarded& o) const {
    return method == o.method && target == o.target && framing == o.framing && contentLength == o.contentLength &&
           head == o.head && body == o.body;
  }
};

struct Outcome {
  std::vector<Forwarded> requests;  // those forwarded completely
  int errorStatus = 0;              // the error that ended the connection, 0 for none
};

/// ClientSession::forwardRequestBody: what the parser decodes goes to the server, re-chunked
/// when the request is chunked.
class ForwardingSink final : public weir::http::BodySink {
 public:
  void forwardTo(Forwarded* request) { to_ = request; }
  void onBodyData(const char* data, size_t len) override {
    to_->body.append(data, len);
    weir::fuzz::appendBodyBytes(to_->wire, data, len, to_->framing == BodyFraming::kChunked);
  }

 private:
  Forwarded* to_ = nullptr;
};

bool isAllowedTarget(const RequestHead& req) {
  return (!req.target.empty() && req.target[0] == '/') || (req.target == "*" && req.method == "OPTIONS");
}

/// ClientSession::routeRequest's part that changes the request, then forwardRequest's head.
/// False when the session answers 400 (a malformed path).
bool forwardHead(RequestHead& req, const ForwardingInfo& fwd, Forwarded* out) {
  const weir::route::TargetParts parts = weir::route::splitTarget(req.target);
  std::string path;
  if (!weir::route::normalizePath(parts.path, path)) return false;
  if (!parts.authority.empty()) req.headers.set("Host", parts.authority);
  if (!parts.authority.empty() || path != parts.path) {
    if (parts.hasQuery) path.append("?").append(parts.query);
    req.target.swap(path);
  }
  FUZZ_CHECK(isAllowedTarget(req), "a target that is not in origin-form reaches the server: '{}'", req.target);
  out->method = req.method;
  out->target = req.target;
  out->framing = req.framing;
  out->contentLength = req.contentLength;
  weir::proxy::writeRequestHead(req, fwd, out->head);
  out->wire = out->head;
  return true;
}

/// A fresh parser, as the server's, reads the forwarded bytes: one whole request, the same.
void checkServerSees(const Forwarded& fw) {
  BodyCollector sink;
  HttpParser server(HttpParser::Kind::kRequest, kServerLimits, &sink);
  std::string_view wire = fw.wire;
  HttpParser::Result r = server.feed(wire.data(), wire.size());
  FUZZ_CHECK(r.status == HttpParser::Status::kHead, "the forwarded head does not parse ({}: {}):\n{}",
             server.error().status, server.error().reason, fw.head);
  const RequestHead& seen = server.request();
  FUZZ_CHECK(seen.method == fw.method, "method '{}' forwarded as '{}'", fw.method, seen.method);
  FUZZ_CHECK(seen.target == fw.target, "target '{}' forwarded as '{}'", fw.target, seen.target);
  FUZZ_CHECK(seen.framing == fw.framing, "framing {} forwarded as {}:\n{}", static_cast<int>(fw.framing),
             static_cast<int>(seen.framing), fw.head);
  FUZZ_CHECK(seen.contentLength == fw.contentLength, "Content-Length {} forwarded as {}", fw.contentLength,
             seen.contentLength);
  wire.remove_prefix(r.consumed);
  r = server.feed(wire.data(), wire.size());
  FUZZ_CHECK(r.status == HttpParser::Status::kComplete, "the forwarded body does not end the request (status {}, {})",
             static_cast<int>(r.status), server.error().reason);
  FUZZ_CHECK(r.consumed == wire.size(), "{} bytes after the forwarded request", wire.size() - r.consumed);
  FUZZ_CHECK(sink.body == fw.body, "the server gets a body of {} bytes for one of {}", sink.body.size(), fw.body.size());
}

/// ClientSession::parseRequest and what follows it, on one connection: heads and bodies read
/// as they arrive, each complete request forwarded and checked, until the input ends, an error
/// closes the connection, or the request ends its HTTP life (Connection: close, an upgrade).
class Connection {
 public:
  Connection(std::string_view input, FeedPlan plan, ParserLimits limits, ForwardingInfo fwd)
      : fwd_(fwd), parser_(HttpParser::Kind::kRequest, limits, &sink_), reader_(input, plan, &parser_, &out_.errorStatus) {}

  Outcome run() {
    while (reader_.readHead()) {
      if (!forwardHead(parser_.request(), fwd_, &current_)) {
        out_.errorStatus = 400;  // a malformed path
        break;
      }
      if (!readBody()) break;
      checkServerSees(current_);
      out_.requests.push_back(std::move(current_));
      current_ = Forwarded{};
      const RequestHead& req = parser_.request();
      if (req.upgrade || !req.keepAlive) break;
      parser_.reset();  // resetForNextRequest
    }
    return out_;
  }

 private:
  bool readBody() {
    const RequestHead& req = parser_.request();
    if (req.framing == BodyFraming::kContentLength) {  // passRequestBody: not through the parser
      const std::string_view bytes = reader_.take(req.contentLength);
      current_.body.append(bytes);
      current_.wire.append(bytes);
      return bytes.size() == req.contentLength;
    }
    sink_.forwardTo(&current_);
    size_t n = 0;
    HttpParser::Result r{};
    do {
      r = reader_.feed(&n);
      FUZZ_CHECK(req.framing != BodyFraming::kNone || (r.status == HttpParser::Status::kComplete && r.consumed == 0),
                 "a request without a body does not complete at once (status {}, {} bytes eaten)",
                 static_cast<int>(r.status), r.consumed);
    } while (r.status == HttpParser::Status::kNeedMore && n > 0);
    sink_.forwardTo(nullptr);
    if (r.status != HttpParser::Status::kComplete) return false;
    if (req.framing == BodyFraming::kChunked) current_.wire += "0\r\n\r\n";
    return true;
  }

  ForwardingInfo fwd_;
  ForwardingSink sink_;
  HttpParser parser_;
  Forwarded current_;
  Outcome out_;
  weir::fuzz::PlannedReader reader_;  // after parser_ and out_, which it points to
};

/// Both reads of the stream forward the same requests and both end in an error or neither.
/// Which error may differ (a bad byte in a long target is a 400 when llhttp sees it first, a 414
/// when the target's pieces reached the limit before). Only the head-size limit may cut one read
/// short of the other: blank lines before a request count toward it when they arrive in the
/// same read as the request.
void checkSameRequests(const Outcome& whole, const Outcome& cut) {
  const bool limitHit = whole.errorStatus == 431 || cut.errorStatus == 431;
  if (!limitHit) {
    FUZZ_CHECK(whole.requests.size() == cut.requests.size() && (whole.errorStatus == 0) == (cut.errorStatus == 0),
               "read whole: {} requests, error {}; read in pieces: {} requests, error {}", whole.requests.size(),
               whole.errorStatus, cut.requests.size(), cut.errorStatus);
  }
  const size_t common = std::min(whole.requests.size(), cut.requests.size());
  for (size_t i = 0; i < common; ++i) {
    FUZZ_CHECK(whole.requests[i].sameRequest(cut.requests[i]), "request {} differs when read in pieces:\n{}\n{}", i,
               whole.requests[i].head, cut.requests[i].head);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t seed = weir::fuzz::hashBytes(input);
  const ForwardingInfo fwd{(seed & 1) != 0, "192.0.2.7", (seed & 2) != 0 ? "https" : "http"};
  const ParserLimits limits = (seed & 4) != 0 ? ParserLimits{} : kSmallLimits;
  const Outcome whole = Connection(input, FeedPlan::whole(), limits, fwd).run();
  const Outcome cut = Connection(input, FeedPlan::pieces(seed), limits, fwd).run();
  checkSameRequests(whole, cut);
  return 0;
}
