// Issue 10, point 3: in steady state weir proxies a request without a heap allocation, and reads
// its sockets without asking for the readable byte count first (ioctl FIONREAD). weir runs
// as a black box with tests/alloc/malloc_counter_preload.c preloaded, which counts every malloc,
// calloc, realloc and memalign of the process in a shared file; the test reads the count after
// warming up and again after 100 000 more requests.
//
// Not under the sanitizers: their runtimes own malloc and must come first in the process.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_backend.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

/// What the preloaded library in `path` has counted so far.
struct Counts {
  uint64_t allocations = 0;
  uint64_t bytes = 0;
  uint64_t fionreads = 0;  // ioctl(FIONREAD): libevent's question before each of its reads
  uint64_t readvs = 0;
};
Counts countsIn(const std::string& path) {
  Counts c;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return c;
  if (::pread(fd, &c, sizeof(c), 0) != static_cast<ssize_t>(sizeof(c))) c = Counts{};
  ::close(fd);
  return c;
}

std::string config(const FakeBackend& backend, std::string_view log) {
  return "global: { threads: 1, log: " + std::string(log) +
         " }\n"
         "defaults:\n"
         "  timeout: { connect: 1s, client: 10s, server: 10s }\n"
         "  forwardfor: true\n"
         "frontends:\n"
         "  fe:\n"
         "    bind: [\"127.0.0.1:0\"]\n"
         "    acl:\n"
         "      api: path_beg /api/\n"
         "      images: path_end .png .jpg\n"
         "    use_backend:\n"
         "      - be if api\n"
         "    default_backend: be\n"
         "backends:\n"
         "  be:\n"
         "    servers:\n"
         "      - { name: s1, address: \"" +
         backend.address() + "\" }\n";
}

/// A browser's request: the fields are longer than std::string's inline buffer, so a head that
/// were copied into fresh strings would allocate for each.
constexpr std::string_view kRequest =
    "GET /api/items/42?size=700&header=Cache-Control:%20private,%20max-age%3D60 HTTP/1.1\r\n"
    "Host: shop.example.test\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-GB,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Cookie: session=7c4f0d1e9a2b4c6d8e0f1a2b3c4d5e6f; theme=dark; consent=necessary\r\n"
    "X-Forwarded-For: 203.0.113.9\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

/// The same request as a POST with a 600-byte body: the body is kept for a retry and forwarded.
std::string postRequest() {
  std::string r(kRequest);
  r.replace(0, 3, "POST");
  r.insert(r.size() - 2, "Content-Length: 600\r\nContent-Type: application/x-www-form-urlencoded\r\n");
  return r + std::string(600, 'b');
}

/// Sends `count` requests on `client` in pipelined batches and reads every response. Every
/// response has the same size (checked on the first two), so a batch is read as bytes.
void proxyRequests(TcpClient& client, int count, const std::string& request) {
  constexpr int kBatch = 100;
  ASSERT_TRUE(client.send(request + request)) << client.error();
  const HttpResponse first = client.readResponse(), second = client.readResponse();
  ASSERT_EQ(first.status, 200) << first.error;
  ASSERT_EQ(first.body.size(), 700u);
  ASSERT_EQ(first.raw.size(), second.raw.size());
  std::string batch;
  for (int i = 0; i < kBatch; ++i) batch += request;
  for (int done = 2; done < count; done += kBatch) {
    ASSERT_TRUE(client.send(batch)) << client.error();
    size_t received = 0;
    while (received < kBatch * first.raw.size()) {
      const std::string got = client.readSome();
      ASSERT_FALSE(got.empty()) << "request " << done << ": " << client.error();
      received += got.size();
    }
    ASSERT_EQ(received, kBatch * first.raw.size());
  }
}

void expectNoAllocationPerRequest(std::string_view log, const std::string& request) {
  if (kSanitized) GTEST_SKIP() << "the sanitizers' runtimes own malloc";
  TempDir dir;
  const std::string counter = (dir.path() / "allocations").string();
  FakeBackend backend("s1");
  WeirInstance weir(config(backend, log),
                    {{"LD_PRELOAD", MALLOC_COUNTER_LIBRARY}, {"WEIR_MALLOC_COUNT_FILE", counter}});
  // Four clients at once, each in its own thread: weir's one worker stays busy instead of
  // waiting on one client's round trips. The same four connections in both phases: accepting a
  // connection allocates its session, which is not the request path.
  std::vector<TcpClient> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back(weir.port());
    ASSERT_TRUE(clients.back().isConnected()) << clients.back().error();
  }
  auto fromFourClients = [&](int each) {
    std::vector<std::thread> threads;
    for (TcpClient& client : clients)
      threads.emplace_back([&client, each, &request] { proxyRequests(client, each, request); });
    for (std::thread& t : threads) t.join();
  };
  // Warm-up: the upstream keep-alive connections, the head maps' slots, the block caches.
  fromFourClients(1000);
  const Counts before = countsIn(counter);
  ASSERT_GT(before.allocations, 0u) << "the counter library was not loaded";
  fromFourClients(25000);  // 100 000 requests
  ASSERT_FALSE(::testing::Test::HasFailure());
  const Counts after = countsIn(counter);
  const uint64_t allocations = after.allocations - before.allocations;
  std::printf("over 100 000 requests: %llu allocations, %llu readv, %llu ioctl(FIONREAD)\n",
              static_cast<unsigned long long>(allocations), static_cast<unsigned long long>(after.readvs - before.readvs),
              static_cast<unsigned long long>(after.fionreads - before.fionreads));
  // Nothing per request; a few allow for the rare (timer heap growth, a log line).
  EXPECT_LE(allocations, 20u) << allocations << " allocations over 100 000 requests";
  // Sockets are read without asking for the byte count first, at most one read per socket
  // per request (pipelined requests share reads).
  EXPECT_EQ(after.fionreads - before.fionreads, 0u);
  EXPECT_LE(after.readvs - before.readvs, 200000u);
}

TEST(Allocation, ProxyingAllocatesNothingPerRequestInSteadyState) {
  expectNoAllocationPerRequest("none", std::string(kRequest));
}

TEST(Allocation, ProxyingARequestBodyAllocatesNothingPerRequestInSteadyState) {
  expectNoAllocationPerRequest("none", postRequest());
}

// The access log's line is formatted into a buffer the worker keeps.
TEST(Allocation, AccessLoggingAllocatesNothingPerRequestInSteadyState) {
  expectNoAllocationPerRequest("stdout", std::string(kRequest));
}

}  // namespace
}  // namespace weir::test
