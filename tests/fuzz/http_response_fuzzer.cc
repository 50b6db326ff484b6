// libFuzzer target: the input is a server's answer to one request. Its first byte says what
// the request was (bit 0: HEAD, bit 1: from an HTTP/1.0 client, bit 2: an Upgrade request);
// the rest is the response stream.
//
// The response goes through what ClientSession does with it (parseResponse, onResponseHead:
// interim responses passed on or dropped, chooseClientFraming, writeResponseHead, a
// Content-Length body passed through, the others re-chunked or sent until close). Checked:
// the parser's framing decision agrees with the status and the request (no body for HEAD, 1xx,
// 204, 304; read-until-close is never kept alive), a Content-Length body delivers exactly its
// length, and a fresh parser, as the client's, reads what weir sends as the same responses with
// the same bodies and nothing left over. The stream is read whole and in pieces; both reads
// must agree.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "weir/http/http_parser.h"
#include "weir/proxy/head_writer.h"

namespace {

using weir::fuzz::BodyCollector;
using weir::fuzz::FeedPlan;
using weir::http::BodyFraming;
using weir::http::HttpParser;
using weir::http::ParserLimits;
using weir::http::ResponseHead;
using weir::proxy::ClientConnection;
using weir::proxy::ClientFraming;

constexpr ParserLimits kSmallLimits{512, 8, 128};
constexpr ParserLimits kClientLimits{1 << 20, 100000, 1 << 20};

struct Request {
  bool head = false;
  int versionMinor = 1;
  bool upgrade = false;
};

/// One response head (and body) as weir sends it to the client.
struct Relayed {
  int status = 0;
  ClientFraming framing = ClientFraming::kNone;
  uint64_t contentLength = 0;
  bool close = false;
  std::string head;
  std::string body;
  std::string wire;  // head and body as the client gets them (chunk sizes follow the reads)

  bool same(const Relayed& o) const {
    return status == o.status && framing == o.framing && contentLength == o.contentLength && close == o.close &&
           head == o.head && body == o.body;
  }
};

struct Outcome {
  std::vector<Relayed> responses;  // interim ones passed on, then the final one if it completed
  int errorStatus = 0;             // the parser's, or 502 for a 101 nobody asked for
  bool cutShort = false;           // the server closed mid-body: the client's connection is cut
};

/// ClientSession::forwardResponseBody.
class RelayingSink final : public weir::http::BodySink {
 public:
  void relayTo(Relayed* r) { to_ = r; }
  void onBodyData(const char* data, size_t len) override {
    FUZZ_CHECK(to_ != nullptr, "{} body bytes outside a body", len);
    to_->body.append(data, len);
    weir::fuzz::appendBodyBytes(to_->wire, data, len, to_->framing == ClientFraming::kChunked);
  }

 private:
  Relayed* to_ = nullptr;
};

/// The framing decision of the response parser, against the status and the request.
void checkFraming(const ResponseHead& resp, const Request& req, const weir::http::HeaderMap& received) {
  const bool noBody = req.head || resp.isInterim() || resp.status == 204 || resp.status == 304;
  FUZZ_CHECK(!noBody || resp.framing == BodyFraming::kNone, "status {} (HEAD: {}) gets framing {}", resp.status, req.head,
             static_cast<int>(resp.framing));
  FUZZ_CHECK(noBody || resp.framing != BodyFraming::kNone, "status {} gets no body", resp.status);
  FUZZ_CHECK(resp.framing != BodyFraming::kUntilClose || !resp.keepAlive, "a body read until close, kept alive");
  FUZZ_CHECK(resp.framing != BodyFraming::kContentLength || received.count("content-length") == 1,
             "Content-Length framing without one Content-Length");
  FUZZ_CHECK(resp.framing != BodyFraming::kChunked || received.count("transfer-encoding") == 1,
             "chunked framing without Transfer-Encoding");
}

BodyFraming expectedFraming(ClientFraming f) {
  switch (f) {
    case ClientFraming::kNone: return BodyFraming::kNone;
    case ClientFraming::kContentLength: return BodyFraming::kContentLength;
    case ClientFraming::kChunked: return BodyFraming::kChunked;
    case ClientFraming::kUntilClose: return BodyFraming::kUntilClose;
  }
  return BodyFraming::kNone;
}

/// A fresh parser, as the client's, reads what weir sent: one response, the same one.
void checkClientSees(const Relayed& r, const Request& req) {
  BodyCollector sink;
  HttpParser client(HttpParser::Kind::kResponse, kClientLimits, &sink);
  client.setExpectNoBody(req.head);
  std::string_view wire = r.wire;
  HttpParser::Result p = client.feed(wire.data(), wire.size());
  FUZZ_CHECK(p.status == HttpParser::Status::kHead, "the relayed head does not parse ({}):\n{}", client.error().reason,
             r.head);
  const ResponseHead& seen = client.response();
  FUZZ_CHECK(seen.status == r.status, "status {} relayed as {}", r.status, seen.status);
  FUZZ_CHECK(seen.framing == expectedFraming(r.framing), "framing {} relayed as {}:\n{}", static_cast<int>(r.framing),
             static_cast<int>(seen.framing), r.head);
  if (r.framing == ClientFraming::kContentLength)
    FUZZ_CHECK(seen.contentLength == r.contentLength, "length {} relayed as {}", r.contentLength, seen.contentLength);
  if (!seen.isInterim()) FUZZ_CHECK(seen.keepAlive == !r.close, "close {} relayed as keep-alive {}", r.close, seen.keepAlive);
  wire.remove_prefix(p.consumed);
  p = client.feed(wire.data(), wire.size());
  HttpParser::Status end = p.status;
  if (end == HttpParser::Status::kNeedMore && r.framing == ClientFraming::kUntilClose) end = client.finishAtEof();
  FUZZ_CHECK(end == HttpParser::Status::kComplete, "the relayed response does not end ({})", client.error().reason);
  FUZZ_CHECK(p.consumed == wire.size(), "{} bytes after the relayed response", wire.size() - p.consumed);
  FUZZ_CHECK(sink.body == r.body, "the client gets a body of {} bytes for one of {}", sink.body.size(), r.body.size());
}

/// ClientSession::parseResponse and onResponseHead for one exchange.
class Exchange {
 public:
  Exchange(std::string_view input, Request req, FeedPlan plan, ParserLimits limits)
      : req_(req), parser_(HttpParser::Kind::kResponse, limits, &sink_), reader_(input, plan, &parser_, &out_.errorStatus) {
    parser_.setExpectNoBody(req.head);
  }

  Outcome run() {
    while (reader_.readHead()) {
      ResponseHead& resp = parser_.response();
      const weir::http::HeaderMap received = resp.headers;
      checkFraming(resp, req_, received);
      if (resp.status == 101) {
        if (req_.upgrade) relayHead(resp, ClientFraming::kNone, ClientConnection::kUpgrade, 1);  // startTunnel
        else out_.errorStatus = 502;  // a 101 nobody asked for
        break;
      }
      if (!resp.isInterim()) {
        relayFinal(resp);
        break;
      }
      // 100 is weir's to send; other 1xx go to HTTP/1.1 clients.
      if (resp.status != 100 && req_.versionMinor == 1) relayHead(resp, ClientFraming::kNone, ClientConnection::kKeepAlive, 1);
      size_t n = 0;
      const HttpParser::Result r = reader_.feed(&n);
      FUZZ_CHECK(r.status == HttpParser::Status::kComplete && r.consumed == 0, "an interim response has a body");
      parser_.startNext();
      parser_.setExpectNoBody(req_.head);
    }
    return out_;
  }

 private:
  Relayed& relayHead(ResponseHead& resp, ClientFraming framing, ClientConnection conn, int clientMinor) {
    Relayed& r = out_.responses.emplace_back();
    r.status = resp.status;
    r.framing = framing;
    r.contentLength = resp.contentLength;
    r.close = conn == ClientConnection::kClose;
    weir::proxy::writeResponseHead(resp, framing, conn, clientMinor, r.head);
    r.wire = r.head;
    if (framing == ClientFraming::kNone) checkClientSees(r, req_);
    return r;
  }

  void relayFinal(ResponseHead& resp) {
    const ClientFraming framing = weir::proxy::chooseClientFraming(resp, req_.versionMinor);
    const bool close = req_.upgrade || framing == ClientFraming::kUntilClose ||
                       (req_.versionMinor == 0 && framing == ClientFraming::kChunked);
    const size_t index = out_.responses.size();
    relayHead(resp, framing, close ? ClientConnection::kClose : ClientConnection::kKeepAlive, req_.versionMinor);
    Relayed& r = out_.responses[index];
    if (framing == ClientFraming::kNone) {
      size_t n = 0;
      const HttpParser::Result p = reader_.feed(&n);
      FUZZ_CHECK(p.status == HttpParser::Status::kComplete && p.consumed == 0, "a body-less response does not end at once");
      return;
    }
    if (!readBody(r)) {
      out_.responses.pop_back();
      out_.cutShort = out_.errorStatus == 0;
      return;
    }
    checkClientSees(r, req_);
  }

  bool readBody(Relayed& r) {
    if (r.framing == ClientFraming::kContentLength) {  // passResponseBody: not through the parser
      const std::string_view bytes = reader_.take(r.contentLength);
      r.body.append(bytes);
      r.wire.append(bytes);
      return bytes.size() == r.contentLength;
    }
    sink_.relayTo(&r);
    size_t n = 0;
    HttpParser::Result p{};
    do p = reader_.feed(&n);
    while (p.status == HttpParser::Status::kNeedMore && n > 0);
    HttpParser::Status end = p.status;
    if (end == HttpParser::Status::kNeedMore) end = parser_.finishAtEof();  // onUpstreamClosed
    sink_.relayTo(nullptr);
    if (end != HttpParser::Status::kComplete) return false;
    if (parser_.response().framing == BodyFraming::kContentLength)
      FUZZ_CHECK(r.body.size() == r.contentLength, "a body of {} bytes for Content-Length {}", r.body.size(), r.contentLength);
    if (r.framing == ClientFraming::kChunked) r.wire += "0\r\n\r\n";
    return true;
  }

  Request req_;
  RelayingSink sink_;
  HttpParser parser_;
  Outcome out_;
  weir::fuzz::PlannedReader reader_;  // after parser_ and out_, which it points to
};

void checkSame(const Outcome& whole, const Outcome& cut) {
  const size_t common = std::min(whole.responses.size(), cut.responses.size());
  for (size_t i = 0; i < common; ++i)
    FUZZ_CHECK(whole.responses[i].same(cut.responses[i]), "response {} differs when read in pieces:\n{}\n{}", i,
               whole.responses[i].head, cut.responses[i].head);
  // Blank lines before a head count toward its size limit only when they come in its read;
  // which error a bad head gets may depend on the reads (see http_request_fuzzer.cc).
  const bool limitHit = whole.errorStatus == 431 || cut.errorStatus == 431;
  if (!limitHit)
    FUZZ_CHECK(whole.responses.size() == cut.responses.size() && (whole.errorStatus == 0) == (cut.errorStatus == 0) &&
                   whole.cutShort == cut.cutShort,
               "read whole: {} responses, error {}, cut short {}; in pieces: {}, {}, {}", whole.responses.size(),
               whole.errorStatus, whole.cutShort, cut.responses.size(), cut.errorStatus, cut.cutShort);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Request req;
  req.head = (data[0] & 1) != 0;
  req.versionMinor = (data[0] & 2) != 0 ? 0 : 1;
  req.upgrade = (data[0] & 4) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint64_t seed = weir::fuzz::hashBytes(input);
  const ParserLimits limits = (data[0] & 8) != 0 ? kSmallLimits : ParserLimits{};
  const Outcome whole = Exchange(input, req, FeedPlan::whole(), limits).run();
  const Outcome cut = Exchange(input, req, FeedPlan::pieces(seed), limits).run();
  checkSame(whole, cut);
  return 0;
}
