// HTTP/1.1 proxying end to end (issue point 6): bodies streamed both ways in every framing,
// body-less responses, Expect: 100-continue, pipelining, client keep-alive and its timeout,
// HTTP/1.0 clients, Connection: close, upstream connection reuse and backpressure towards a
// slow reader. Real weir, a real fake backend, raw TCP clients and curl on 127.0.0.1.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// The fake backend's size=N body: byte i is kPatternAlphabet[i % 64].
constexpr std::string_view kPatternAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";

std::string patternBody(std::size_t size) {
  std::string body;
  body.reserve(size);
  for (std::size_t i = 0; i < size; ++i) body.push_back(kPatternAlphabet[i % kPatternAlphabet.size()]);
  return body;
}

/// Where `body` first differs from the fake backend's pattern, or npos when it matches it.
std::size_t firstPatternMismatch(std::string_view body) {
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != kPatternAlphabet[i % kPatternAlphabet.size()]) return i;
  }
  return std::string::npos;
}

/// A request body that is not periodic like the pattern, so a lost or repeated slice shows.
std::string distinctBody(std::size_t size) {
  std::string body;
  body.reserve(size);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    body.push_back(static_cast<char>('!' + (x >> 16) % 90));
  }
  return body;
}

std::string keepAliveRequest(std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: weir.test\r\n\r\n";
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

class ProxyStreamingTest : public ::testing::Test {
 protected:
  void startWeir(std::string_view extraDefaultsYaml = "") {
    weir_ = std::make_unique<WeirInstance>(
        simpleConfig({backend_.address()}, "", extraDefaultsYaml));
  }
  std::uint16_t port() const { return weir_->port(); }

  FakeBackend backend_{"s1"};
  std::unique_ptr<WeirInstance> weir_;
};

// --- request bodies ---------------------------------------------------------------------------

TEST_F(ProxyStreamingTest, ForwardsContentLengthRequestBodyIntact) {
  startWeir();
  const std::string body = distinctBody(300 * 1024);

  const HttpResponse response = httpRequest(port(), "POST", "/upload?echo=1", {}, body);

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(backend_.waitForRecords(1));
  const RecordedRequest record = backend_.records().at(0);
  EXPECT_EQ(record.header("Content-Length"), std::to_string(body.size()));
  EXPECT_TRUE(record.body == body) << "backend got " << record.body.size() << " bytes";
  // echo=1 answers with the head and body as received: the body came back intact too.
  ASSERT_GE(response.body.size(), body.size());
  EXPECT_TRUE(response.body.ends_with(body));
}

TEST_F(ProxyStreamingTest, ReframesChunkedRequestBodyForTheBackend) {
  startWeir();
  TcpClient client(port());
  const std::string big = distinctBody(70000);
  const std::string request =
      "POST /upload HTTP/1.1\r\nHost: weir.test\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n"
      "5\r\nhello\r\n"
      "1;ext=1\r\n,\r\n" +
      fmt::format("{:x}\r\n", big.size()) + big + "\r\n0\r\n\r\n";

  ASSERT_TRUE(client.send(request)) << client.error();
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(backend_.waitForRecords(1));
  const RecordedRequest record = backend_.records().at(0);
  EXPECT_FALSE(record.malformed) << record.malformedReason;
  EXPECT_TRUE(record.body == "hello," + big) << "backend got " << record.body.size() << " bytes";
  EXPECT_EQ(lowercase(record.header("Transfer-Encoding")), "chunked") << escapeBytes(record.head);
  EXPECT_FALSE(record.headers().has("Content-Length")) << escapeBytes(record.head);
}

// --- response bodies --------------------------------------------------------------------------

TEST_F(ProxyStreamingTest, StreamsChunkedResponseChunkedToHttp11Client) {
  startWeir();

  const HttpResponse response = httpGet(port(), "/?chunked=1&size=100000");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.framing, BodyFraming::Chunked) << response.describe();
  EXPECT_FALSE(response.headers.has("Content-Length"));
  ASSERT_EQ(response.body.size(), 100000u);
  EXPECT_EQ(firstPatternMismatch(response.body), std::string::npos);
}

TEST_F(ProxyStreamingTest, SendsChunkedResponseCloseDelimitedToHttp10Client) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send("GET /?chunked=1&size=100000 HTTP/1.0\r\nHost: weir.test\r\n\r\n"));
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.framing, BodyFraming::UntilClose) << escapeBytes(response.raw, 300);
  EXPECT_FALSE(response.headers.has("Transfer-Encoding"));
  ASSERT_EQ(response.body.size(), 100000u);
  EXPECT_EQ(firstPatternMismatch(response.body), std::string::npos);
  EXPECT_TRUE(client.isClosedByPeer(0ms));
}

TEST_F(ProxyStreamingTest, AnswersHeadWithContentLengthAndNoBody) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send(keepAliveRequest("HEAD", "/?size=1234")));
  const HttpResponse head = client.readResponse(kDefaultTimeout, /*requestWasHead=*/true);
  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/?size=7")));
  const HttpResponse next = client.readResponse();

  ASSERT_TRUE(head.ok()) << head.error;
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "1234");
  EXPECT_TRUE(head.body.empty());
  // Had any body bytes followed the HEAD response, they would be read as the next response.
  ASSERT_TRUE(next.ok()) << next.error << " raw: " << escapeBytes(next.raw);
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, patternBody(7));
}

TEST_F(ProxyStreamingTest, Sends204WithoutBodyAndKeepsConnectionUsable) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/?status=204")));
  const HttpResponse noContent = client.readResponse();
  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/?size=9")));
  const HttpResponse next = client.readResponse();

  ASSERT_TRUE(noContent.ok()) << noContent.error;
  EXPECT_EQ(noContent.status, 204);
  EXPECT_TRUE(noContent.body.empty());
  EXPECT_FALSE(noContent.headers.has("Transfer-Encoding"));
  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, patternBody(9));
}

TEST_F(ProxyStreamingTest, Sends304WithoutBodyAndKeepsConnectionUsable) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/?status=304")));
  const HttpResponse notModified = client.readResponse();
  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/?size=9")));
  const HttpResponse next = client.readResponse();

  ASSERT_TRUE(notModified.ok()) << notModified.error;
  EXPECT_EQ(notModified.status, 304);
  EXPECT_TRUE(notModified.body.empty());
  EXPECT_FALSE(notModified.headers.has("Transfer-Encoding"));
  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, patternBody(9));
}

// --- Expect: 100-continue ---------------------------------------------------------------------

TEST_F(ProxyStreamingTest, CurlWithExpectContinueGets100AndDeliversBody) {
  startWeir();
  TempDir dir;
  const std::string body = distinctBody(200 * 1024);
  const auto file = dir.writeFile("body.bin", body);
  const std::string url = "http://127.0.0.1:" + std::to_string(port()) + "/upload";

  // A long expect100 timeout: curl must not send the body before weir's 100 Continue.
  const CommandResult curl =
      runCommand({"curl", "-sS", "-v", "--noproxy", "*", "--expect100-timeout", "20", "-H",
                  "Expect: 100-continue", "--data-binary", "@" + file.string(), "-o", "/dev/null",
                  "-w", "%{http_code}", url},
                 10s);

  ASSERT_EQ(curl.exitCode, 0) << curl.err;
  EXPECT_EQ(curl.out, "200");
  EXPECT_NE(curl.err.find("< HTTP/1.1 100 Continue"), std::string::npos) << curl.err;
  ASSERT_TRUE(backend_.waitForRecords(1));
  const RecordedRequest record = backend_.records().at(0);
  EXPECT_TRUE(record.body == body) << "backend got " << record.body.size() << " bytes";
}

TEST_F(ProxyStreamingTest, RawClientGets100ContinueBeforeSendingBody) {
  startWeir();
  TcpClient client(port());
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: weir.test\r\nContent-Length: 11\r\n"
      "Expect: 100-continue\r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(head));
  const HttpResponse interim = client.readResponse();
  ASSERT_TRUE(interim.ok()) << interim.error;
  ASSERT_EQ(interim.status, 100);
  ASSERT_TRUE(client.send("hello world"));
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Server"), "s1");
  ASSERT_TRUE(backend_.waitForRecords(1));
  EXPECT_EQ(backend_.records().at(0).body, "hello world");
}

// --- pipelining and keep-alive ----------------------------------------------------------------

TEST_F(ProxyStreamingTest, AnswersPipelinedRequestsInOrder) {
  startWeir();
  TcpClient client(port());
  // The first answer is the slowest: it must still come first.
  const std::vector<std::string> targets = {"/first?echo=1&delay=150", "/second?echo=1",
                                            "/third?echo=1&delay=30"};

  ASSERT_TRUE(client.send(keepAliveRequest("GET", targets[0]) +
                          keepAliveRequest("GET", targets[1]) +
                          keepAliveRequest("GET", targets[2])));
  std::vector<HttpResponse> responses;
  for (std::size_t i = 0; i < targets.size(); ++i) responses.push_back(client.readResponse());

  for (std::size_t i = 0; i < targets.size(); ++i) {
    ASSERT_TRUE(responses[i].ok()) << i << ": " << responses[i].error;
    EXPECT_EQ(responses[i].status, 200);
    EXPECT_EQ(responses[i].header("X-Server"), "s1");
    EXPECT_TRUE(responses[i].body.starts_with("GET " + targets[i] + " HTTP/1.1\r\n"))
        << i << ": " << escapeBytes(responses[i].body, 80);
  }
}

TEST_F(ProxyStreamingTest, ServesTwoRequestsOnOneClientConnection) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/one?size=3")));
  const HttpResponse first = client.readResponse();
  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/two?size=4")));
  const HttpResponse second = client.readResponse();

  ASSERT_TRUE(first.ok()) << first.error;
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(first.body, patternBody(3));
  EXPECT_EQ(second.body, patternBody(4));
  EXPECT_NE(lowercase(first.header("Connection")), "close");
  EXPECT_NE(lowercase(second.header("Connection")), "close");
  EXPECT_FALSE(client.isClosedByPeer(0ms));
}

TEST_F(ProxyStreamingTest, ReusesOneUpstreamConnectionForSequentialRequests) {
  startWeir();

  for (int i = 0; i < 5; ++i) {
    const HttpResponse response = httpGet(port(), "/seq" + std::to_string(i));
    ASSERT_TRUE(response.ok()) << i << ": " << response.error;
    ASSERT_EQ(response.status, 200);
  }

  const FakeBackendStats stats = backend_.stats();
  EXPECT_EQ(stats.requests, 5u);
  EXPECT_EQ(stats.connections, 1u);
}

TEST_F(ProxyStreamingTest, OpensNewUpstreamConnectionAfterServerSaysClose) {
  startWeir();

  const HttpResponse closing = httpGet(port(), "/a?close=1");
  const HttpResponse next = httpGet(port(), "/b");

  ASSERT_TRUE(closing.ok()) << closing.error;
  ASSERT_TRUE(next.ok()) << next.error;
  ASSERT_TRUE(backend_.waitForRecords(2));
  const std::vector<RecordedRequest> records = backend_.records();
  EXPECT_NE(records.at(0).conn, records.at(1).conn);
  EXPECT_EQ(backend_.stats().connections, 2u);
}

TEST_F(ProxyStreamingTest, ClosesConnectionWhenClientSendsConnectionClose) {
  startWeir();
  TcpClient client(port());

  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: weir.test\r\nConnection: close\r\n\r\n"));
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(lowercase(response.header("Connection")), "close");
  EXPECT_TRUE(client.isClosedByPeer());
}

TEST_F(ProxyStreamingTest, ClosesClientIdlePastKeepAliveTimeout) {
  startWeir(
      "timeout:\n"
      "  connect: 1s\n"
      "  client: 10s\n"
      "  server: 10s\n"
      "  http_keep_alive: 300ms\n");
  TcpClient client(port());
  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/")));
  ASSERT_TRUE(client.readResponse().ok());
  const auto idleSince = std::chrono::steady_clock::now();

  const bool closed = client.isClosedByPeer(3s);

  const auto idle = std::chrono::steady_clock::now() - idleSince;
  EXPECT_TRUE(closed);
  EXPECT_GE(idle, 250ms);
  EXPECT_LT(idle, 2500ms);
  EXPECT_TRUE(client.buffered().empty()) << escapeBytes(client.buffered());
}

// --- backpressure -----------------------------------------------------------------------------

TEST_F(ProxyStreamingTest, SlowReadingClientKeepsWeirMemoryBounded) {
  startWeir();
  constexpr std::size_t kBodyBytes = 50'000'000;
  // Unbounded buffering would hold most of the 50 MB (all but what the kernel's socket buffers
  // take, a few MB); with backpressure weir holds a few hundred KB.
  constexpr std::size_t kMaxGrowthKiB = 25 * 1024;
  ASSERT_TRUE(httpGet(port(), "/warmup").ok());
  const std::size_t startKiB = weir_->rssKiB();
  ASSERT_GT(startKiB, 0u);
  TcpClient client(port());

  ASSERT_TRUE(client.send(keepAliveRequest("GET", "/big?size=" + std::to_string(kBodyBytes))));
  // The backend writes at loopback speed; give weir time to buffer it, reading nothing.
  const bool grew = waitFor([&] { return weir_->rssKiB() > startKiB + kMaxGrowthKiB; }, 1500ms);
  const std::size_t stalledKiB = weir_->rssKiB();
  const HttpResponse response = client.readResponse(30s);

  EXPECT_FALSE(grew) << "RSS went from " << startKiB << " KiB to " << stalledKiB << " KiB";
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(response.body.size(), kBodyBytes);
  EXPECT_EQ(firstPatternMismatch(response.body), std::string::npos);
}

}  // namespace
}  // namespace weir::test
