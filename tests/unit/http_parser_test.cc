#include "weir/http/http_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace weir::http {
namespace {

struct CollectingSink final : BodySink {
  std::string body;
  void onBodyData(const char* data, size_t len) override { body.append(data, len); }
};

/// Feeds `input` through a request parser until it ends, fails, or runs out.
struct ParseRun {
  explicit ParseRun(HttpParser::Kind kind = HttpParser::Kind::kRequest, ParserLimits limits = {})
      : parser(kind, limits, &sink) {}

  /// Returns the final status; heads seen are counted.
  HttpParser::Status run(const std::string& input) {
    size_t off = 0;
    while (true) {
      auto r = parser.feed(input.data() + off, input.size() - off);
      off += r.consumed;
      consumed = off;
      if (r.status == HttpParser::Status::kHead) {
        ++heads;
        continue;
      }
      if (r.status == HttpParser::Status::kComplete) {
        ++messages;
        if (off == input.size()) return r.status;
        parser.startNext();
        continue;
      }
      return r.status;
    }
  }

  CollectingSink sink;
  HttpParser parser;
  int heads = 0;
  int messages = 0;
  size_t consumed = 0;
};

void expectRejected(const std::string& input, int status = 400) {
  ParseRun run;
  EXPECT_EQ(run.run(input), HttpParser::Status::kError) << input;
  EXPECT_EQ(run.parser.error().status, status) << input << " reason: " << run.parser.error().reason;
}

TEST(HttpParser, ParsesSimpleGetAndStopsAtHead) {
  HttpParser::Kind kind = HttpParser::Kind::kRequest;
  CollectingSink sink;
  HttpParser p(kind, {}, &sink);
  std::string in = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A:  v \r\n\r\n";
  auto r = p.feed(in.data(), in.size());
  ASSERT_EQ(r.status, HttpParser::Status::kHead);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(p.request().method, "GET");
  EXPECT_EQ(p.request().target, "/a?b=1");
  EXPECT_EQ(*p.request().headers.get("x-a"), "v");
  EXPECT_EQ(p.request().framing, BodyFraming::kNone);
  r = p.feed(in.data() + in.size(), 0);
  EXPECT_EQ(r.status, HttpParser::Status::kComplete);
}

TEST(HttpParser, DeliversContentLengthBodyAfterHead) {
  ParseRun run;
  EXPECT_EQ(run.run("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), HttpParser::Status::kComplete);
  EXPECT_EQ(run.sink.body, "hello");
  EXPECT_EQ(run.parser.request().framing, BodyFraming::kContentLength);
}

TEST(HttpParser, DecodesChunkedBodyAndDropsTrailers) {
  ParseRun run;
  EXPECT_EQ(run.run("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n"),
            HttpParser::Status::kComplete);
  EXPECT_EQ(run.sink.body, "hello!");
  EXPECT_FALSE(run.parser.request().headers.has("x-trailer"));
}

TEST(HttpParser, TrailersSplitAcrossFeedsAreReadAndTheNextRequestStaysApart) {
  const std::string input = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t step = 1; step <= 7; ++step) {  // every split point, whatever the read sizes
    ParseRun run;
    size_t off = 0;
    HttpParser::Status last = HttpParser::Status::kNeedMore;
    while (off < input.size() && last != HttpParser::Status::kComplete && last != HttpParser::Status::kError) {
      const size_t n = std::min(step, input.size() - off);
      const auto r = run.parser.feed(input.data() + off, n);
      off += r.consumed;
      last = r.status;
    }
    ASSERT_EQ(last, HttpParser::Status::kComplete) << "step " << step << ": " << run.parser.error().reason;
    EXPECT_EQ(run.sink.body, "hello");
    EXPECT_EQ(input.substr(off), "GET /next HTTP/1.1\r\nHost: x\r\n\r\n") << "step " << step;
  }
}

TEST(HttpParser, RejectsFoldedTrailersAndBoundsTheTrailerSection) {
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n";
  expectRejected(chunked + "X-A: 1\r\n folded\r\n\r\n");
  expectRejected(chunked + " X-A: 1\r\n\r\n");
  std::string endless = chunked;
  for (int i = 0; i < 2000; ++i) endless += "X-T: " + std::to_string(i) + "\r\n";
  expectRejected(endless, 431);
}

TEST(HttpParser, StopsAfterEachPipelinedRequest) {
  CollectingSink sink;
  HttpParser p(HttpParser::Kind::kRequest, {}, &sink);
  std::string in = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
  auto r = p.feed(in.data(), in.size());
  ASSERT_EQ(r.status, HttpParser::Status::kHead);
  size_t off = r.consumed;
  r = p.feed(in.data() + off, in.size() - off);
  ASSERT_EQ(r.status, HttpParser::Status::kComplete);
  off += r.consumed;
  EXPECT_EQ(in.substr(off), "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  p.startNext();
  r = p.feed(in.data() + off, in.size() - off);
  ASSERT_EQ(r.status, HttpParser::Status::kHead);
  EXPECT_EQ(p.request().target, "/2");
}

TEST(HttpParser, AcceptsHttp10WithoutHost) {
  ParseRun run;
  EXPECT_EQ(run.run("GET / HTTP/1.0\r\n\r\n"), HttpParser::Status::kComplete);
  EXPECT_FALSE(run.parser.request().keepAlive);
}

TEST(HttpParser, FlagsExpectContinueAndUpgrade) {
  ParseRun run;
  run.run("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_TRUE(run.parser.request().upgrade);
  ParseRun run2;
  run2.run("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(run2.parser.request().expectContinue);
}

TEST(HttpParser, RejectsContentLengthWithTransferEncoding) {
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n");
}

TEST(HttpParser, RejectsDuplicateOrMalformedContentLength) {
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n");
}

TEST(HttpParser, RejectsTransferEncodingOtherThanFinalChunked) {
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n");
  expectRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\x0b\r\n\r\n");
}

TEST(HttpParser, RejectsObsFoldOfAnEmptyValue) {
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\t5\r\n\r\nhello");
  expectRejected("GET / HTTP/1.1\r\n Host: x\r\n\r\n");
}

TEST(HttpParser, RejectsSpaceInsideHeaderName) { expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX Pad: v\r\n\r\n"); }

TEST(HttpParser, BodyBytesAfterTheHeadAreNotScannedAsHeaders) {
  ParseRun run;
  EXPECT_EQ(run.run("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\n \n\t"), HttpParser::Status::kComplete);
  EXPECT_EQ(run.sink.body, "\n \n\t");
}

TEST(HttpParser, EmptyFeedMidBodyDeliversNoEmptyBodyCall) {
  struct CountingSink final : BodySink {
    int emptyCalls = 0;
    size_t total = 0;
    void onBodyData(const char*, size_t len) override {
      if (len == 0) ++emptyCalls;
      total += len;
    }
  } sink;
  HttpParser p(HttpParser::Kind::kResponse, {}, &sink);
  std::string in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nabcd";
  auto r = p.feed(in.data(), in.size());
  ASSERT_EQ(r.status, HttpParser::Status::kHead);
  r = p.feed(in.data() + r.consumed, in.size() - r.consumed);
  ASSERT_EQ(r.status, HttpParser::Status::kNeedMore);
  char none[1];
  r = p.feed(none, 0);
  EXPECT_EQ(r.status, HttpParser::Status::kNeedMore);
  EXPECT_EQ(sink.emptyCalls, 0);
  EXPECT_EQ(sink.total, 4u);
}

TEST(HttpParser, RejectsObsFold) {
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n");
}

TEST(HttpParser, RejectsBareCrAndBareLf) {
  expectRejected("GET / HTTP/1.1\rHost: x\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n");
  expectRejected("GET / HTTP/1.1\nHost: x\n\n");
}

TEST(HttpParser, RejectsWhitespaceBeforeColon) {
  expectRejected("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
  expectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n");
}

TEST(HttpParser, RejectsInvalidHeaderNamesAndValues) {
  expectRejected(std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 36));
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX\x80: b\r\n\r\n");
}

TEST(HttpParser, RejectsInvalidMethodVersionAndHttp09) {
  expectRejected("G@T / HTTP/1.1\r\nHost: x\r\n\r\n");
  expectRejected("FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
  expectRejected("GET / HTTP/1.2\r\nHost: x\r\n\r\n");
  expectRejected("GET / HTTP/2.0\r\nHost: x\r\n\r\n");
  expectRejected("GET / HTTP/0.9\r\n\r\n");
  expectRejected("GET /\r\n\r\n");
  expectRejected("GET / FTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(HttpParser, RejectsMissingOrDuplicateHostOnHttp11) {
  expectRejected("GET / HTTP/1.1\r\n\r\n");
  expectRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST(HttpParser, RejectsInvalidTargetsAndConnect) {
  expectRejected("GET foo HTTP/1.1\r\nHost: x\r\n\r\n");
  expectRejected("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n");
  expectRejected("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(HttpParser, RejectsInvalidChunkSizes) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  expectRejected(head + "zz\r\nhello\r\n0\r\n\r\n");
  expectRejected(head + "-5\r\nhello\r\n0\r\n\r\n");
  expectRejected(head + "fffffffffffffffffff\r\n");
  expectRejected(head + "5\r\nhelloX\r\n0\r\n\r\n");
  expectRejected(head + "5 \r\nhello\r\n0\r\n\r\n");
}

TEST(HttpParser, RejectsOverlongHeadWith431) {
  ParserLimits limits;
  limits.maxHeadBytes = 1024;
  ParseRun run(HttpParser::Kind::kRequest, limits);
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(run.run(in), HttpParser::Status::kError);
  EXPECT_EQ(run.parser.error().status, 431);
}

TEST(HttpParser, CountsHeadBytesAcrossFeeds) {
  ParserLimits limits;
  limits.maxHeadBytes = 100;
  CollectingSink sink;
  HttpParser p(HttpParser::Kind::kRequest, limits, &sink);
  std::string part = "GET / HTTP/1.1\r\nHost: x\r\n";
  p.feed(part.data(), part.size());
  std::string more = "X-A: " + std::string(60, 'b') + "\r\n";
  p.feed(more.data(), more.size());
  auto r = p.feed(more.data(), more.size());
  EXPECT_EQ(r.status, HttpParser::Status::kError);
  EXPECT_EQ(p.error().status, 431);
}

TEST(HttpParser, RejectsTooManyHeadersWith431) {
  ParserLimits limits;
  limits.maxHeaders = 5;
  ParseRun run(HttpParser::Kind::kRequest, limits);
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 6; ++i) in += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(run.run(in + "\r\n"), HttpParser::Status::kError);
  EXPECT_EQ(run.parser.error().status, 431);
}

TEST(HttpParser, RejectsOverlongUriWith414) {
  ParserLimits limits;
  limits.maxUriBytes = 64;
  ParseRun run(HttpParser::Kind::kRequest, limits);
  EXPECT_EQ(run.run("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"), HttpParser::Status::kError);
  EXPECT_EQ(run.parser.error().status, 414);
}

TEST(HttpParser, ResponseUntilCloseCompletesAtEof) {
  ParseRun run(HttpParser::Kind::kResponse);
  EXPECT_EQ(run.run("HTTP/1.1 200 OK\r\n\r\nabc"), HttpParser::Status::kNeedMore);
  EXPECT_EQ(run.parser.response().framing, BodyFraming::kUntilClose);
  EXPECT_EQ(run.parser.finishAtEof(), HttpParser::Status::kComplete);
  EXPECT_EQ(run.sink.body, "abc");
}

TEST(HttpParser, ResponseTruncatedBodyIsErrorAtEof) {
  ParseRun run(HttpParser::Kind::kResponse);
  EXPECT_EQ(run.run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), HttpParser::Status::kNeedMore);
  EXPECT_EQ(run.parser.finishAtEof(), HttpParser::Status::kError);
}

TEST(HttpParser, ResponseToHeadHasNoBody) {
  CollectingSink sink;
  HttpParser p(HttpParser::Kind::kResponse, {}, &sink);
  p.setExpectNoBody(true);
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  auto r = p.feed(in.data(), in.size());
  ASSERT_EQ(r.status, HttpParser::Status::kHead);
  EXPECT_EQ(p.response().framing, BodyFraming::kNone);
  size_t off = r.consumed;
  r = p.feed(in.data() + off, in.size() - off);
  EXPECT_EQ(r.status, HttpParser::Status::kComplete);
  off += r.consumed;
  EXPECT_EQ(in.substr(off), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(HttpParser, Response304And204HaveNoBody) {
  ParseRun run(HttpParser::Kind::kResponse);
  EXPECT_EQ(run.run("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), HttpParser::Status::kComplete);
  EXPECT_EQ(run.parser.response().framing, BodyFraming::kNone);
}

TEST(HttpParser, RejectsMalformedResponses) {
  for (std::string in : {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
                         "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                         "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "garbage\r\n\r\n"}) {
    ParseRun run(HttpParser::Kind::kResponse);
    EXPECT_EQ(run.run(in), HttpParser::Status::kError) << in;
  }
}

TEST(HttpParser, InterimResponseThenFinal) {
  ParseRun run(HttpParser::Kind::kResponse);
  EXPECT_EQ(run.run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            HttpParser::Status::kComplete);
  EXPECT_EQ(run.heads, 2);
  EXPECT_EQ(run.messages, 2);
  EXPECT_EQ(run.sink.body, "ok");
}

}  // namespace
}  // namespace weir::http

namespace weir::http {
namespace {

TEST(HttpParser, AcceptsHeaderValueSplitAcrossFeeds) {
  CollectingSink sink;
  HttpParser p(HttpParser::Kind::kRequest, {}, &sink);
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\nX-A: hello world\r\n\r\n";
  HttpParser::Status last = HttpParser::Status::kNeedMore;
  for (size_t i = 0; i < in.size(); ++i) {  // one byte per feed: every boundary is exercised
    auto r = p.feed(in.data() + i, 1);
    ASSERT_NE(r.status, HttpParser::Status::kError) << p.error().reason << " at byte " << i;
    last = r.status;
  }
  EXPECT_EQ(last, HttpParser::Status::kHead);
  EXPECT_EQ(*p.request().headers.get("x-a"), "hello world");
}

}  // namespace
}  // namespace weir::http
