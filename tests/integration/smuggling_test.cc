// Request smuggling and strict framing, end to end (issue point 8): every ambiguous or malformed
// request gets one 400 with `Connection: close`, the connection closes, and nothing of it -- least
// of all a request hidden inside it -- reaches a server. A server's malformed response gets the
// client a 502, never the server's bytes.
//
// Each payload is a first request (`/first`) carrying an embedded `GET /smuggled` request that a
// proxy and a server disagreeing about framing would turn into a second request. The fake backend
// records everything it receives, so the tests assert what actually reached it.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: weir.test\r\n\r\n";

/// "POST /first HTTP/1.1", Host, then `headers` (whole lines, each ending CRLF), a blank line
/// and `body` as is.
std::string post(const std::string& headers, const std::string& body) {
  return "POST /first HTTP/1.1\r\nHost: weir.test\r\n" + headers + "\r\n" + body;
}

std::string contentLength(std::size_t n) { return fmt::format("Content-Length: {}\r\n", n); }

/// A chunked body whose first chunk-size line is `sizeLine`, with the smuggled request behind.
std::string badChunkedPost(const std::string& sizeLine) {
  return post("Transfer-Encoding: chunked\r\n", sizeLine + "\r\n0\r\n\r\n" + kSmuggled);
}

bool containsText(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool headerHasToken(const HttpResponse& response, std::string_view name, std::string_view token) {
  for (const std::string& value : response.headers.getAll(name)) {
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (containsText(lower, std::string(token))) return true;
  }
  return false;
}

/// The readable test name of a table row.
template <typename Case>
std::string caseName(const ::testing::TestParamInfo<Case>& row) {
  return row.param.name;
}

/// One weir in front of one fake backend, the common shape of these tests.
class ProxyFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<FakeBackend>("s1");
    weir_ = std::make_unique<WeirInstance>(simpleConfig({backend_->address()}, backendYaml()));
  }

  virtual std::string backendYaml() const { return ""; }

  /// A normal request on a connection of its own, then everything the backend has recorded,
  /// once that request is among it: whatever weir forwarded from an earlier, already closed
  /// connection has reached the backend by then.
  std::vector<RecordedRequest> recordsAfterSync() {
    const HttpResponse sync = httpGet(weir_->port(), "/sync");
    EXPECT_EQ(sync.status, 200) << sync.describe();
    EXPECT_TRUE(waitFor(
        [&] {
          const auto records = backend_->records();
          return std::any_of(records.begin(), records.end(),
                             [](const RecordedRequest& r) { return r.target == "/sync"; });
        },
        kDefaultTimeout));
    return backend_->records();
  }

  std::unique_ptr<FakeBackend> backend_;
  std::unique_ptr<WeirInstance> weir_;
};

std::string describeRecords(const std::vector<RecordedRequest>& records) {
  std::string out;
  for (const RecordedRequest& r : records) {
    out += r.malformed ? fmt::format("  conn={} malformed: {}\n", r.conn, r.malformedReason)
                       : fmt::format("  conn={} req={} head={} body={}\n", r.conn, r.req, escapeBytes(r.head, 300),
                                     escapeBytes(r.body, 80));
  }
  return out;
}

// --- rejected payloads --------------------------------------------------------------------------

struct SmugglingCase {
  std::string name;
  std::string payload;
};

void PrintTo(const SmugglingCase& row, std::ostream* out) { *out << row.name; }

std::vector<SmugglingCase> smugglingCases() {
  const std::string chunkedSmuggle = "0\r\n\r\n" + kSmuggled;  // ends early when read as chunked
  const std::string chunkedCarry =                             // carries the smuggled request inside one chunk
      fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", kSmuggled.size(), kSmuggled);
  const std::string nul(1, '\0');
  return {
      // CL.TE and TE.CL: both framings present, in either order.
      {"ContentLengthThenTransferEncoding",
       post(contentLength(chunkedSmuggle.size()) + "Transfer-Encoding: chunked\r\n", chunkedSmuggle)},
      {"TransferEncodingThenContentLength", post("Transfer-Encoding: chunked\r\n" + contentLength(4), chunkedCarry)},
      {"ContentLengthWithTransferEncodingInHttp10",
       "POST /first HTTP/1.0\r\nHost: weir.test\r\nContent-Length: 4\r\n"
       "Transfer-Encoding: chunked\r\n\r\n" +
           chunkedCarry},
      // TE.TE: a Transfer-Encoding one parser may not recognise.
      {"TransferEncodingXchunked", post("Transfer-Encoding: xchunked\r\n", chunkedSmuggle)},
      {"TransferEncodingChunkedThenIdentity", post("Transfer-Encoding: chunked, identity\r\n", chunkedSmuggle)},
      {"TransferEncodingNameAfterLeadingSpace", post("X-Pad: y\r\n Transfer-Encoding: chunked\r\n", chunkedSmuggle)},
      {"TransferEncodingTabBeforeColon",
       post("Transfer-Encoding\t: chunked\r\n" + contentLength(chunkedSmuggle.size()), chunkedSmuggle)},
      {"TransferEncodingSpaceBeforeColon",
       post("Transfer-Encoding : chunked\r\n" + contentLength(chunkedSmuggle.size()), chunkedSmuggle)},
      {"TransferEncodingVerticalTabBeforeValue", post("Transfer-Encoding:\vchunked\r\n", chunkedSmuggle)},
      {"TransferEncodingDuplicatedWithBogusSecond",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", chunkedSmuggle)},
      {"TransferEncodingDuplicatedChunked",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunkedSmuggle)},
      {"TransferEncodingInHttp10",
       "POST /first HTTP/1.0\r\nHost: weir.test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedSmuggle},
      {"TransferEncodingObsFold", post("Transfer-Encoding:\r\n chunked\r\n", chunkedSmuggle)},
      // Content-Length: several, or not a plain decimal number.
      {"ContentLengthTwiceDiffering", post(contentLength(0) + contentLength(kSmuggled.size()), kSmuggled)},
      {"ContentLengthTwiceEqual", post(contentLength(kSmuggled.size()) + contentLength(kSmuggled.size()), kSmuggled)},
      {"ContentLengthCommaList", post(fmt::format("Content-Length: 0, {}\r\n", kSmuggled.size()), kSmuggled)},
      {"ContentLengthPlusSign", post("Content-Length: +0\r\n", kSmuggled)},
      {"ContentLengthMinusSign", post("Content-Length: -1\r\n", kSmuggled)},
      {"ContentLengthHex", post(fmt::format("Content-Length: 0x{:x}\r\n", kSmuggled.size()), kSmuggled)},
      {"ContentLengthSpaceInside", post(fmt::format("Content-Length: 0 {}\r\n", kSmuggled.size()), kSmuggled)},
      {"ContentLengthOverflow", post("Content-Length: 18446744073709551616\r\n", kSmuggled)},
      {"ContentLengthEmpty", post("Content-Length: \r\n", kSmuggled)},
      {"ContentLengthObsFold", post(fmt::format("Content-Length:\r\n {}\r\n", kSmuggled.size()), kSmuggled)},
      {"ContentLengthSpaceBeforeColon", post(fmt::format("Content-Length : {}\r\n", kSmuggled.size()), kSmuggled)},
      // Line endings.
      {"BareCrLineEnding", post(fmt::format("X-Pad: a\rContent-Length: {}\r\n", kSmuggled.size()), kSmuggled)},
      {"BareLfBeforeTransferEncoding", post("X-Pad: a\nTransfer-Encoding: chunked\r\n", chunkedSmuggle)},
      {"BareLfLineEndings",
       fmt::format("POST /first HTTP/1.1\nHost: weir.test\nContent-Length: {}\n\n{}", kSmuggled.size(), kSmuggled)},
      // Bytes that are not allowed in a header.
      {"NulInHeaderValue", post("X-Pad: a" + nul + "b\r\n", "") + kSmuggled},
      {"ControlCharInHeaderValue", post("X-Pad: a\x01z\r\n", "") + kSmuggled},
      {"DelInHeaderValue", post("X-Pad: a\x7fz\r\n", "") + kSmuggled},
      {"NulInHeaderName", post("X-P" + nul + "ad: v\r\n", "") + kSmuggled},
      {"InvalidCharInHeaderName", post("X(Pad): v\r\n", "") + kSmuggled},
      {"SpaceInsideHeaderName", post("X Pad: v\r\n", "") + kSmuggled},
      {"EmptyHeaderName", post(": v\r\n", "") + kSmuggled},
      // Chunk sizes.
      {"ChunkSizeNotHex", badChunkedPost("zz")},
      {"ChunkSizeNegative", badChunkedPost("-1")},
      {"ChunkSizeWithHexPrefix", badChunkedPost("0x5")},
      {"ChunkSizeEmpty", badChunkedPost("")},
      {"ChunkSizeWithLeadingSpace", badChunkedPost(" 5")},
      {"ChunkSizeOverflow", badChunkedPost("10000000000000000")},
      {"ChunkDataLongerThanSize", post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n" + kSmuggled)},
      // Request line.
      {"Http09RequestLine", "GET /first\r\n" + kSmuggled},
      {"InvalidMethod", "GE<T /first HTTP/1.1\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"InvalidVersion", "GET /first HTTP/1.x\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"LowercaseProtocolName", "GET /first http/1.1\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"ControlCharInTarget", "GET /fir\x01st HTTP/1.1\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"TabInRequestLine", "GET\t/first HTTP/1.1\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"Http2VersionOverHttp1", "GET /first HTTP/2.0\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"RelativeTarget", "GET first HTTP/1.1\r\nHost: weir.test\r\n\r\n" + kSmuggled},
      {"ConnectMethod", "CONNECT weir.test:443 HTTP/1.1\r\nHost: weir.test:443\r\n\r\n" + kSmuggled},
      // Host: RFC 9112 3.2 -- exactly one in HTTP/1.1.
      {"HostTwice", "GET /first HTTP/1.1\r\nHost: weir.test\r\nHost: other.test\r\n\r\n" + kSmuggled},
      {"HostMissingInHttp11", "GET /first HTTP/1.1\r\nX-Pad: a\r\n\r\n" + kSmuggled},
      // More Transfer-Encoding obfuscation (TE.TE).
      {"TransferEncodingQuotedChunked", post("Transfer-Encoding: \"chunked\"\r\n", chunkedSmuggle)},
      {"TransferEncodingChunkedTwiceInOneValue", post("Transfer-Encoding: chunked, chunked\r\n", chunkedSmuggle)},
      {"TransferEncodingChunkedWithParameter", post("Transfer-Encoding: chunked;q=1\r\n", chunkedSmuggle)},
      {"TransferEncodingEmpty", post("Transfer-Encoding: \r\n" + contentLength(0), kSmuggled)},
      {"TransferEncodingCommaOnly", post("Transfer-Encoding: ,\r\n" + contentLength(0), kSmuggled)},
      // llhttp takes only SP after a coding name; a trailing tab is refused rather than guessed at.
      {"TransferEncodingTrailingTab", post("Transfer-Encoding: chunked\t\r\n", chunkedSmuggle)},
      {"TransferEncodingNulAfterChunked", post("Transfer-Encoding: chunked" + nul + "\r\n", chunkedSmuggle)},
      // Chunk framing with bare line ends and extension tricks.
      {"ChunkSizeLineEndsWithBareLf", post("Transfer-Encoding: chunked\r\n", "5\nhello\r\n0\r\n\r\n" + kSmuggled)},
      {"ChunkSizeLineEndsWithBareCr", post("Transfer-Encoding: chunked\r\n", "5\rhello\r\n0\r\n\r\n" + kSmuggled)},
      {"ChunkExtensionEndsWithBareLf",
       post("Transfer-Encoding: chunked\r\n", "5;ext=1\nhello\r\n0\r\n\r\n" + kSmuggled)},
      {"ChunkExtensionWithBareCrInside",
       post("Transfer-Encoding: chunked\r\n", "5;ext=a\rb\r\nhello\r\n0\r\n\r\n" + kSmuggled)},
      {"ChunkDataEndsWithBareLf", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\n0\r\n\r\n" + kSmuggled)},
      {"ChunkDataWithoutLineEnd", post("Transfer-Encoding: chunked\r\n", "5\r\nhello0\r\n\r\n" + kSmuggled)},
      {"LastChunkSizeWithoutLineEnd", post("Transfer-Encoding: chunked\r\n", "0\r\r\n" + kSmuggled)},
      {"TrailerLineEndsWithBareLf",
       post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\nX-Trailer: 1\n\r\n" + kSmuggled)},
      {"TrailerObsFold",
       post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n folded\r\n\r\n" + kSmuggled)},
      // Expect: a body sent at once must stay the body even when the server never asked for it.
      {"ExpectContinueWithTransferEncodingAndContentLength",
       post("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n" + contentLength(0), chunkedSmuggle)},
  };
}

class SmugglingPayloadTest : public ProxyFixture, public ::testing::WithParamInterface<SmugglingCase> {};

TEST_P(SmugglingPayloadTest, GetsOne400ThenCloseAndNothingReachesTheServer) {
  TcpClient client(weir_->port());
  ASSERT_TRUE(client.isConnected()) << client.error();

  ASSERT_TRUE(client.send(GetParam().payload)) << client.error();
  const HttpResponse response = client.readResponse();
  const std::string after = client.readUntilClosed();
  const bool closed = client.isClosedByPeer(0ms);
  const std::vector<RecordedRequest> records = recordsAfterSync();

  ASSERT_TRUE(response.ok()) << response.error << "\npayload: " << escapeBytes(GetParam().payload);
  EXPECT_EQ(response.status, 400) << response.describe();
  EXPECT_TRUE(headerHasToken(response, "Connection", "close")) << escapeBytes(response.raw);
  EXPECT_EQ(after, "") << "bytes after the first response: " << escapeBytes(after);
  EXPECT_TRUE(closed) << "connection still open after the 400";
  for (const RecordedRequest& r : records) {
    EXPECT_FALSE(r.malformed) << "malformed bytes reached the server:\n" << describeRecords(records);
    EXPECT_FALSE(containsText(r.target, "smuggled")) << describeRecords(records);
    EXPECT_NE(r.target, "/first") << "a rejected request reached the server:\n" << describeRecords(records);
  }
}

INSTANTIATE_TEST_SUITE_P(ClassicPayloads, SmugglingPayloadTest, ::testing::ValuesIn(smugglingCases()),
                         caseName<SmugglingCase>);

// --- accepted framings: exactly what the server gets ---------------------------------------------

/// What the server must have received for one request, in order.
struct ForwardedRequest {
  std::string method;
  std::string target;
  std::string host;
  std::string body;
};

struct AcceptedCase {
  std::string name;
  std::string payload;  // one or more requests in one write; the last closes the connection
  std::vector<ForwardedRequest> forwarded;
};

void PrintTo(const AcceptedCase& row, std::ostream* out) { *out << row.name; }

std::vector<AcceptedCase> acceptedCases() {
  const std::string second = "GET /second HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n";
  const ForwardedRequest secondForwarded{"GET", "/second", "weir.test", ""};
  return {
      // A chunk extension is legal (RFC 9112 7.1.1) and never changes the size.
      {"ChunkExtensionIsIgnored",
       post("Transfer-Encoding: chunked\r\n", "5;name=\"a;b\"\r\nhello\r\n0;last\r\n\r\n") + second,
       {{"POST", "/first", "weir.test", "hello"}, secondForwarded}},
      // Coding names are case-insensitive (RFC 9112 7): CHUNKED is chunked.
      {"TransferEncodingUppercase", post("Transfer-Encoding: CHUNKED\r\n", "5\r\nhello\r\n0\r\n\r\n") + second,
       {{"POST", "/first", "weir.test", "hello"}, secondForwarded}},
      {"TransferEncodingTabBeforeValue", post("Transfer-Encoding:\tchunked\r\n", "5\r\nhello\r\n0\r\n\r\n") + second,
       {{"POST", "/first", "weir.test", "hello"}, secondForwarded}},
      // RFC 9112 3 lets a recipient split the request line on whitespace; weir forwards it with
      // single spaces, so the server cannot read it another way.
      {"DoubleSpaceInRequestLine", "GET  /first HTTP/1.1\r\nHost: weir.test\r\n\r\n" + second,
       {{"GET", "/first", "weir.test", ""}, secondForwarded}},
      {"TrailerFieldsAreNotARequest",
       post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\nX-Trailer: GET /smuggled\r\n\r\n") + second,
       {{"POST", "/first", "weir.test", "hello"}, secondForwarded}},
      {"ContentLengthWithLeadingZeros", post("Content-Length: 005\r\n", "hello") + second,
       {{"POST", "/first", "weir.test", "hello"}, secondForwarded}},
      // Expect: 100-continue, but the client sends the body at once: still the body, all of it.
      {"ExpectContinueBodySentAtOnce", post("Expect: 100-continue\r\n" + contentLength(kSmuggled.size()), kSmuggled) + second,
       {{"POST", "/first", "weir.test", kSmuggled}, secondForwarded}},
      {"ExpectContinueOnAGetWithoutBody", "GET /first HTTP/1.1\r\nHost: weir.test\r\nExpect: 100-continue\r\n\r\n" + second,
       {{"GET", "/first", "weir.test", ""}, secondForwarded}},
      // Absolute-form: the authority is the host, whatever Host says (RFC 9112 3.2.2); the server
      // gets origin-form and that Host, so it routes as weir did.
      {"AbsoluteFormOverridesHost", "GET http://abs.test/first?q=1 HTTP/1.1\r\nHost: weir.test\r\n\r\n" + second,
       {{"GET", "/first?q=1", "abs.test", ""}, secondForwarded}},
      // HTTP/1.0 keeps the connection only when asked to (RFC 9112 9.3).
      {"Http10KeepAliveThenAnotherRequest",
       "GET /first HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /second HTTP/1.0\r\nHost: weir.test\r\n\r\n",
       {{"GET", "/first", "", ""}, secondForwarded}},
      {"Http10KeepAliveWithBody",
       "POST /first HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello" + second,
       {{"POST", "/first", "", "hello"}, secondForwarded}},
      // Without keep-alive, weir closes after the first response: what follows is never read.
      {"Http10WithoutKeepAliveEndsTheConnection", "GET /first HTTP/1.0\r\n\r\n" + kSmuggled,
       {{"GET", "/first", "", ""}}},
      {"ConnectionCloseEndsTheConnection",
       "GET /first HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n" + kSmuggled,
       {{"GET", "/first", "weir.test", ""}}},
  };
}

class AcceptedFramingTest : public ProxyFixture, public ::testing::WithParamInterface<AcceptedCase> {};

TEST_P(AcceptedFramingTest, ServerGetsExactlyTheRequestsTheClientFramed) {
  const AcceptedCase& row = GetParam();
  TcpClient client(weir_->port());
  ASSERT_TRUE(client.send(row.payload)) << client.error();
  for (size_t i = 0; i < row.forwarded.size(); ++i) {
    const HttpResponse response = client.readResponse();
    EXPECT_EQ(response.status, 200) << "response " << i << ": " << response.describe();
  }
  const std::string after = client.readUntilClosed();
  const std::vector<RecordedRequest> all = recordsAfterSync();
  std::vector<RecordedRequest> records;
  for (const RecordedRequest& r : all)
    if (r.target != "/sync") records.push_back(r);

  EXPECT_EQ(after, "") << "bytes after the last response: " << escapeBytes(after);
  ASSERT_EQ(records.size(), row.forwarded.size()) << describeRecords(all);
  for (size_t i = 0; i < records.size(); ++i) {
    const ForwardedRequest& want = row.forwarded[i];
    EXPECT_FALSE(records[i].malformed) << describeRecords(all);
    EXPECT_EQ(records[i].method, want.method) << describeRecords(all);
    EXPECT_EQ(records[i].target, want.target) << describeRecords(all);
    if (!want.host.empty()) {
      EXPECT_EQ(records[i].header("Host"), want.host) << describeRecords(all);
    }
    EXPECT_EQ(records[i].body, want.body) << describeRecords(all);
    // The server sees one framing only, whatever the client wrote.
    const bool chunked = containsText(records[i].head, "Transfer-Encoding");
    const bool length = containsText(records[i].head, "Content-Length");
    EXPECT_FALSE(chunked && length) << escapeBytes(records[i].head);
    EXPECT_FALSE(containsText(records[i].head, "Expect")) << "the 100-continue handshake is weir's own"
                                                          << escapeBytes(records[i].head);
  }
}

INSTANTIATE_TEST_SUITE_P(Framings, AcceptedFramingTest, ::testing::ValuesIn(acceptedCases()), caseName<AcceptedCase>);

// --- well-framed requests: the positive controls ------------------------------------------------

using RequestFramingTest = ProxyFixture;

TEST_F(RequestFramingTest, ChunkedPostAndPipelinedGetReachServerAsTwoRequests) {
  TcpClient client(weir_->port());
  const std::string payload = post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") +
                              "GET /second HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(payload)) << client.error();
  const HttpResponse first = client.readResponse();
  const HttpResponse second = client.readResponse();

  ASSERT_TRUE(first.ok()) << first.error;
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  ASSERT_TRUE(backend_->waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_->records();
  ASSERT_EQ(records.size(), 2u) << describeRecords(records);
  EXPECT_EQ(records[0].method, "POST");
  EXPECT_EQ(records[0].target, "/first");
  EXPECT_EQ(records[0].body, "hello world");
  EXPECT_EQ(records[1].method, "GET");
  EXPECT_EQ(records[1].target, "/second");
  EXPECT_EQ(records[1].body, "");
}

TEST_F(RequestFramingTest, ContentLengthBodyThatLooksLikeARequestStaysTheBody) {
  TcpClient client(weir_->port());
  const std::string payload = post(contentLength(kSmuggled.size()), kSmuggled) +
                              "GET /second HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(payload)) << client.error();
  const HttpResponse first = client.readResponse();
  const HttpResponse second = client.readResponse();

  EXPECT_EQ(first.status, 200) << first.describe();
  EXPECT_EQ(second.status, 200) << second.describe();
  ASSERT_TRUE(backend_->waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_->records();
  ASSERT_EQ(records.size(), 2u) << describeRecords(records);
  EXPECT_EQ(records[0].target, "/first");
  EXPECT_EQ(records[0].body, kSmuggled);
  EXPECT_EQ(records[1].target, "/second");
}

TEST_F(RequestFramingTest, ChunkedBodyThatLooksLikeARequestStaysTheBody) {
  TcpClient client(weir_->port());
  const std::string chunked = fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", kSmuggled.size(), kSmuggled);
  const std::string payload = post("Transfer-Encoding: chunked\r\n", chunked) +
                              "GET /second HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(payload)) << client.error();
  const HttpResponse first = client.readResponse();
  const HttpResponse second = client.readResponse();

  EXPECT_EQ(first.status, 200) << first.describe();
  EXPECT_EQ(second.status, 200) << second.describe();
  ASSERT_TRUE(backend_->waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_->records();
  ASSERT_EQ(records.size(), 2u) << describeRecords(records);
  EXPECT_EQ(records[0].target, "/first");
  EXPECT_EQ(records[0].body, kSmuggled);
  EXPECT_EQ(records[1].target, "/second");
}

TEST_F(RequestFramingTest, GetWithBodyForwardsTheBodyNotASecondRequest) {
  TcpClient client(weir_->port());
  const std::string payload = fmt::format("GET /first HTTP/1.1\r\nHost: weir.test\r\nContent-Length: {}\r\n\r\n{}",
                                          kSmuggled.size(), kSmuggled) +
                              "GET /second HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(payload)) << client.error();
  const HttpResponse first = client.readResponse();
  const HttpResponse second = client.readResponse();

  EXPECT_EQ(first.status, 200) << first.describe();
  EXPECT_EQ(second.status, 200) << second.describe();
  ASSERT_TRUE(backend_->waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_->records();
  ASSERT_EQ(records.size(), 2u) << describeRecords(records);
  EXPECT_EQ(records[0].method, "GET");
  EXPECT_EQ(records[0].target, "/first");
  EXPECT_EQ(records[0].body, kSmuggled);
  EXPECT_EQ(records[1].target, "/second");
}

// --- malformed responses ------------------------------------------------------------------------

/// Passive health off: these tests are about one response, not about the server being marked down.
class MalformedResponseFixture : public ProxyFixture {
 protected:
  std::string backendYaml() const override { return "max_fails: 0\nkeepalive: 4"; }
};

struct MalformedResponseCase {
  std::string name;
  std::string target;  // scripts the fake backend's malformed answer
};

void PrintTo(const MalformedResponseCase& row, std::ostream* out) { *out << row.target; }

class MalformedResponseTest : public MalformedResponseFixture,
                              public ::testing::WithParamInterface<MalformedResponseCase> {};

TEST_P(MalformedResponseTest, ClientGetsShort502WithNothingOfTheServerResponse) {
  const HttpResponse response = httpGet(weir_->port(), GetParam().target);

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 502) << escapeBytes(response.raw);
  EXPECT_LT(response.body.size(), 512u);
  EXPECT_FALSE(response.headers.has("X-Server")) << escapeBytes(response.raw);
  EXPECT_FALSE(containsText(response.raw, "hello")) << escapeBytes(response.raw);
  EXPECT_FALSE(containsText(response.raw, "X-Bad")) << escapeBytes(response.raw);
}

INSTANTIATE_TEST_SUITE_P(ServerResponses, MalformedResponseTest,
                         ::testing::Values(MalformedResponseCase{"ContentLengthTwiceDiffering", "/r?bad=1"},
                                           MalformedResponseCase{"ContentLengthWithTransferEncoding",
                                                                 "/r?header=Transfer-Encoding:chunked"},
                                           MalformedResponseCase{"ControlCharInHeaderValue", "/r?header=X-Bad:a%01z"}),
                         caseName<MalformedResponseCase>);

using MalformedResponseConnectionTest = MalformedResponseFixture;

TEST_F(MalformedResponseConnectionTest, ClientConnectionServesNextRequestOnAFreshServerConnection) {
  TcpClient client(weir_->port());
  const std::string keepAlive = "GET /r?bad=1 HTTP/1.1\r\nHost: weir.test\r\n\r\n";

  ASSERT_TRUE(client.send(keepAlive)) << client.error();
  const HttpResponse bad = client.readResponse();
  ASSERT_TRUE(client.send("GET /next HTTP/1.1\r\nHost: weir.test\r\n\r\n")) << client.error();
  const HttpResponse next = client.readResponse();

  EXPECT_EQ(bad.status, 502) << bad.describe();
  EXPECT_FALSE(headerHasToken(bad, "Connection", "close")) << escapeBytes(bad.raw);
  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.status, 200) << next.describe() << "\n" << weir_->accessLog();
  EXPECT_EQ(next.header("X-Server"), "s1");
  EXPECT_EQ(backend_->stats().connections, 2u);
}

/// The control for the next test: a good response leaves the server connection reusable.
TEST_F(MalformedResponseConnectionTest, ServerConnectionWithGoodResponseIsReused) {
  TcpClient client(weir_->port());

  ASSERT_TRUE(client.send("GET /one HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  const HttpResponse one = client.readResponse();
  ASSERT_TRUE(client.send("GET /two HTTP/1.1\r\nHost: weir.test\r\n\r\n")) << client.error();
  const HttpResponse two = client.readResponse();

  EXPECT_EQ(one.status, 200) << one.describe();
  EXPECT_EQ(two.status, 200) << two.describe();
  EXPECT_EQ(backend_->stats().connections, 1u);
}

/// The server keeps its connection open after the bad response (only a header value is bad):
/// weir must still not send the next request over it.
TEST_F(MalformedResponseConnectionTest, ServerConnectionWithBadResponseIsNotReused) {
  TcpClient client(weir_->port());

  ASSERT_TRUE(client.send("GET /r?header=X-Bad:a%01z HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  const HttpResponse bad = client.readResponse();
  ASSERT_TRUE(client.send("GET /next HTTP/1.1\r\nHost: weir.test\r\n\r\n")) << client.error();
  const HttpResponse next = client.readResponse();

  EXPECT_EQ(bad.status, 502) << bad.describe();
  EXPECT_EQ(next.status, 200) << next.describe() << "\n" << weir_->accessLog();
  ASSERT_TRUE(backend_->waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_->records();
  ASSERT_EQ(records.size(), 2u) << describeRecords(records);
  EXPECT_NE(records[0].conn, records[1].conn) << describeRecords(records);
  EXPECT_EQ(backend_->stats().connections, 2u);
}

}  // namespace
}  // namespace weir::test
