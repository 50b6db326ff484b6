// Large bodies, end to end: streamed both ways with backpressure. A 1 GiB response and a
// 256 MiB request pass through weir while its resident memory is sampled; a client that stops
// reading for a while must not make weir buffer the response.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
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
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kDownloadBytes = 1024 * kMiB;
constexpr std::uint64_t kUploadBytes = 256 * kMiB;
/// weir's resident memory may grow by at most this over its size at the start, the whole time
/// (its working set is a few 64-128 KiB buffers per exchange, plus ASan's 8 MiB quarantine; a
/// proxy that buffered would pass it within milliseconds). Relative, because the size at start
/// depends on the build (an ASan build starts near 55 MiB, a Release one near 10).
constexpr std::size_t kRssGrowthKiB = 32 * 1024;
constexpr std::uint64_t kSampleEvery = 64 * kMiB;
/// Every this many bytes the downloading client stops reading for kStall.
constexpr std::uint64_t kStallEvery = 256 * kMiB;
constexpr auto kStall = 200ms;
/// The whole transfer must finish within this (also under ASan on a 2-core CI machine).
constexpr auto kTransferTimeout = 100s;
constexpr std::size_t kIoSize = 1 * kMiB;

/// ASan keeps freed memory in a quarantine (256 MiB by default), which would count as weir's
/// RSS without being weir's buffering: keep it small. Harmless for a build without ASan.
Environment smallAsanQuarantine() {
  const char* inherited = std::getenv("ASAN_OPTIONS");
  std::string options = inherited != nullptr ? std::string(inherited) + ":" : std::string();
  return {{"ASAN_OPTIONS", options + "quarantine_size_mb=8:thread_local_quarantine_size_kb=256"}};
}

std::string largeBodyConfig(const FakeBackend& backend) {
  return simpleConfig({backend.address()}, "", "timeout:\n  connect: 1s\n  client: 30s\n  server: 30s");
}

/// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool pollFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(remainingUntil(deadline).count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

/// One recv() of up to `size` bytes into `into`, waiting until `deadline`: the byte count, 0 at
/// EOF, -1 on error or timeout.
ssize_t receive(int fd, char* into, std::size_t size, Clock::time_point deadline) {
  for (;;) {
    const ssize_t got = ::recv(fd, into, size, 0);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno != EAGAIN || !pollFor(fd, POLLIN, deadline)) return -1;
  }
}

/// The high-water mark of weir's RSS, sampled by the test as bytes go by.
class RssWatch {
 public:
  /// Samples once: the size at the start, which the bound is relative to.
  explicit RssWatch(const WeirInstance& weir) : weir_(weir), startKiB_(weir.rssKiB()), maxKiB_(startKiB_) {}
  void sample() { maxKiB_ = std::max(maxKiB_, weir_.rssKiB()); }
  std::size_t startKiB() const { return startKiB_; }
  std::size_t maxKiB() const { return maxKiB_; }
  std::size_t boundKiB() const { return startKiB_ + kRssGrowthKiB; }
  /// True when RSS passes the bound at any moment of `period` (polled all along).
  bool exceedsBoundWithin(std::chrono::milliseconds period) {
    return waitFor(
        [&] {
          sample();
          return maxKiB_ > boundKiB();
        },
        period);
  }

 private:
  const WeirInstance& weir_;
  std::size_t startKiB_;
  std::size_t maxKiB_;
};

/// The first line of the fake backend's record file: "=== conn=C req=R method=M target=T body=N".
/// (records() would load the 256 MiB body; the path is on the backend's command line.)
std::string firstRecordLine(FakeBackend& backend) {
  const std::vector<std::string>& argv = backend.process().argv();
  const auto flag = std::find(argv.begin(), argv.end(), "--record");
  if (flag == argv.end() || flag + 1 == argv.end()) return "";
  std::ifstream file(*(flag + 1));
  std::string line;
  std::getline(file, line);
  return line;
}

class LargeBody : public ::testing::Test {};

TEST_F(LargeBody, Streams1GiBResponseToASlowClientInBoundedMemory) {
  FakeBackend backend("big");
  WeirInstance weir(largeBodyConfig(backend), smallAsanQuarantine());
  RssWatch rss(weir);
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send(formatRequest("GET", "/?size=" + std::to_string(kDownloadBytes), weir.port())));
  const auto deadline = Clock::now() + kTransferTimeout;
  std::vector<char> buffer(kIoSize);

  // The head, and whatever body bytes came with it.
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t got = receive(client.fd(), buffer.data(), buffer.size(), deadline);
    ASSERT_GT(got, 0) << "no response head; got " << escapeBytes(head);
    head.append(buffer.data(), static_cast<std::size_t>(got));
  }
  const std::size_t headEnd = head.find("\r\n\r\n") + 4;
  std::uint64_t body = head.size() - headEnd;
  head.resize(headEnd);
  ASSERT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0u) << escapeBytes(head);
  ASSERT_NE(head.find("\r\nContent-Length: " + std::to_string(kDownloadBytes) + "\r\n"), std::string::npos)
      << escapeBytes(head);

  // The body, read as fast as possible but for a stall every kStallEvery bytes.
  std::uint64_t nextSample = kSampleEvery;
  std::uint64_t nextStall = kStallEvery;
  int stalls = 0;
  ssize_t got = 1;
  while (body < kDownloadBytes && got > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kIoSize, kDownloadBytes - body));
    got = receive(client.fd(), buffer.data(), want, deadline);
    if (got > 0) body += static_cast<std::uint64_t>(got);
    if (body >= nextSample) {
      rss.sample();
      nextSample += kSampleEvery;
    }
    if (body >= nextStall && body < kDownloadBytes) {
      ++stalls;
      EXPECT_FALSE(rss.exceedsBoundWithin(kStall)) << "RSS " << rss.maxKiB() << " KiB while the client stalled";
      nextStall += kStallEvery;
    }
  }
  const ssize_t after = receive(client.fd(), buffer.data(), buffer.size(), Clock::now() + 5s);

  EXPECT_EQ(body, kDownloadBytes) << "the response ended early (recv returned " << got << ")";
  EXPECT_EQ(after, 0) << "expected the close after Content-Length bytes (Connection: close)";
  EXPECT_EQ(stalls, 3);
  EXPECT_LT(rss.maxKiB(), rss.boundKiB()) << "weir started at " << rss.startKiB() << " KiB";
  RecordProperty("weir_rss_start_kib", std::to_string(rss.startKiB()));
  RecordProperty("weir_rss_max_kib", std::to_string(rss.maxKiB()));
}

TEST_F(LargeBody, Streams256MiBRequestBodyToTheServerInBoundedMemory) {
  FakeBackend backend("sink");
  WeirInstance weir(largeBodyConfig(backend), smallAsanQuarantine());
  RssWatch rss(weir);
  TcpClient client(weir.port());
  const auto deadline = Clock::now() + kTransferTimeout;
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: weir\r\nConnection: close\r\nContent-Length: " + std::to_string(kUploadBytes) +
      "\r\n\r\n";
  ASSERT_TRUE(client.send(head)) << client.error();
  const std::string piece(kIoSize, 'u');

  std::uint64_t sent = 0;
  std::uint64_t nextSample = kSampleEvery;
  while (sent < kUploadBytes) {
    ASSERT_TRUE(client.send(piece, remainingUntil(deadline)))
        << client.error() << " after " << sent << " bytes; weir: " << escapeBytes(client.readSome(0ms));
    sent += piece.size();
    if (sent >= nextSample) {
      rss.sample();
      nextSample += kSampleEvery;
    }
  }
  const HttpResponse response = client.readResponse(remainingUntil(deadline));

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Server"), "sink");
  const std::string recorded = " body=" + std::to_string(kUploadBytes);
  EXPECT_TRUE(waitFor([&] { return firstRecordLine(backend).ends_with(recorded); }, kDefaultTimeout))
      << firstRecordLine(backend);
  EXPECT_LT(rss.maxKiB(), rss.boundKiB()) << "weir started at " << rss.startKiB() << " KiB";
  RecordProperty("weir_rss_start_kib", std::to_string(rss.startKiB()));
  RecordProperty("weir_rss_max_kib", std::to_string(rss.maxKiB()));
}

}  // namespace
}  // namespace weir::test
