// Issue 8, TLS to servers: a weir ("edge") proxies to a server that speaks only TLS: a second
// weir ("terminator") with a TLS bind in front of a fake backend. Verified against the CA file
// with the name checked, the request arrives and idle connections are reused; an unknown CA,
// a wrong name or a server that is not TLS at all get 502 (and a log line saying why);
// `verify: none` skips the verification; a silent server times out, a refused connection is
// no TLS failure; active checks run over TLS too.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/stats_csv.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

namespace certs = tls::testing;

class TlsUpstreamTest : public ::testing::Test {
 protected:
  TempDir dir_;
  FakeBackend app_{"app1"};
  std::string pem_ = writeServerPem();
  WeirInstance terminator_{fmt::format(R"(frontends:
  tls_in:
    bind: [{{ address: "127.0.0.1:0", ssl: {{ certs: ["{}"] }} }}]
    default_backend: app
backends:
  app:
    servers: [{{ name: app1, address: "{}" }}]
stats:
  bind: "127.0.0.1:0"
)",
                                       pem_, app_.address())};

  std::string writeServerPem() {
    tls::EvpPkeyPtr key = certs::makeKey(true);
    const std::string path = dir_.filePath("backend.pem").string();
    certs::writePem(path, certs::makeCert(key.get(), "backend.test", {"backend.test"}).get(), key.get(), true);
    return path;
  }

  std::string tlsServer() const { return fmt::format("127.0.0.1:{}", terminator_.tlsPort("tls_in")); }

  /// An edge weir whose one server is `address` with `serverKeys` (", ssl: true, ...").
  std::unique_ptr<WeirInstance> edge(const std::string& address, const std::string& serverKeys,
                                     const std::string& backendKeys = "") {
    // One worker: its pool is the only one, so reuse shows in the terminator's counts.
    return std::make_unique<WeirInstance>(fmt::format(R"(global: {{ threads: 1 }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: secure
backends:
  secure:
    retries: 0
{}    servers:
      - {{ name: s1, address: "{}"{} }}
stats:
  bind: "127.0.0.1:0"
)",
                                                      backendKeys, address, serverKeys));
  }
};

TEST_F(TlsUpstreamTest, VerifiedAgainstTheCaFileWithItsNameAndReused) {
  auto weir = edge(tlsServer(), fmt::format(", ssl: true, ca_file: \"{}\", sni: backend.test, alpn: [http/1.1]", pem_));
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = httpGet(weir->port("web"), "/over-tls");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("X-Server"), "app1");
  }
  ASSERT_TRUE(app_.waitForRecords(3));
  EXPECT_EQ(app_.records().back().header("X-Forwarded-Proto"), "https") << "the terminator saw TLS";
  // Three requests (one per client connection), one TLS connection: the edge kept it idle
  // and reused it.
  const std::string csv = httpGet(terminator_.port("stats"), "/stats;csv").body;
  EXPECT_EQ(parseStatsCsv(csv)["tls_in/FRONTEND"]["req_tot"], "3") << csv;
  EXPECT_EQ(parseStatsCsv(csv)["tls_in/FRONTEND"]["stot"], "1") << csv;
}

TEST_F(TlsUpstreamTest, ChecksRunOverTls) {
  auto weir = edge(tlsServer(), fmt::format(", ssl: true, ca_file: \"{}\", sni: backend.test", pem_),
                   "    health_check: { http: GET /, interval: 200ms, rise: 1, fall: 1 }\n");
  EXPECT_TRUE(waitFor(
      [&] { return parseStatsCsv(httpGet(weir->port("stats"), "/stats;csv").body)["secure/s1"]["check_status"] == "L7OK"; },
      kDefaultTimeout));
  auto wrongName = edge(tlsServer(), fmt::format(", ssl: true, ca_file: \"{}\", sni: other.test", pem_),
                        "    health_check: { http: GET /, interval: 200ms, rise: 1, fall: 1 }\n");
  EXPECT_TRUE(waitFor(
      [&] { return parseStatsCsv(httpGet(wrongName->port("stats"), "/stats;csv").body)["secure/s1"]["check_status"] == "L6RSP"; },
      kDefaultTimeout));
}

TEST_F(TlsUpstreamTest, AnUnknownCaAWrongNameOrAPlainServerGet502) {
  struct Case {
    std::string address;
    std::string keys;
    std::string why;
  };
  const std::vector<Case> cases = {
      {tlsServer(), ", ssl: true, sni: backend.test", "certificate verify failed"},
      {tlsServer(), fmt::format(", ssl: true, ca_file: \"{}\", sni: other.test", pem_), "certificate verify failed"},
      {app_.address(), ", ssl: true, verify: none", "TLS handshake with server secure/s1 failed"},
  };
  for (const Case& c : cases) {
    auto weir = edge(c.address, c.keys);
    const HttpResponse r = httpGet(weir->port("web"), "/x");
    EXPECT_EQ(r.status, 502) << c.keys << ": " << r.body;
    EXPECT_TRUE(weir->waitForLog(c.why)) << c.keys << "\n" << weir->log();
  }
}

TEST_F(TlsUpstreamTest, ASilentServerTimesOutAndARefusedOneIsNoTlsFailure) {
  // Listening but never accepting: the kernel completes the connection, nobody answers the
  // ClientHello. The handshake is bounded by timeout.connect.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(silent, 16), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);
  auto weir = edge(fmt::format("127.0.0.1:{}", ntohs(addr.sin_port)), ", ssl: true, verify: none",
                   "    timeout: { connect: 300ms }\n");
  const HttpResponse timedOut = httpGet(weir->port("web"), "/x");
  EXPECT_EQ(timedOut.status, 503) << timedOut.body;
  EXPECT_NE(timedOut.body.find("timed out"), std::string::npos) << timedOut.body;
  ::close(silent);

  auto refused = edge("127.0.0.1:1", ", ssl: true, verify: none");
  const HttpResponse r = httpGet(refused->port("web"), "/x");
  EXPECT_EQ(r.status, 503) << "a refused connection, not a failed handshake: " << r.body;
  EXPECT_EQ(refused->log().find("TLS handshake"), std::string::npos) << refused->log();
}

TEST_F(TlsUpstreamTest, VerifyNoneAcceptsAnyCertificate) {
  auto weir = edge(tlsServer(), ", ssl: true, verify: none");
  EXPECT_EQ(httpGet(weir->port("web"), "/x").status, 200);
}

TEST(TlsUpstreamConfig, TlsKeysNeedSslAndTheCaFileMustLoad) {
  const auto config = [](const std::string& keys) {
    return fmt::format(R"(frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: b
backends:
  b:
    servers:
      - {{ name: s1, address: "127.0.0.1:9"{} }}
)",
                       keys);
  };
  WeirCheck c = WeirInstance::check(config(", verify: none"));
  EXPECT_EQ(c.exitCode, 1);
  EXPECT_NE(c.output.find("backends.b.servers[0]: verify needs ssl: true"), std::string::npos) << c.output;
  c = WeirInstance::check(config(", ssl: true, ca_file: /nonexistent/ca.pem"));
  EXPECT_EQ(c.exitCode, 1);
  EXPECT_NE(c.output.find("/nonexistent/ca.pem: no CA certificate could be read"), std::string::npos) << c.output;
  c = WeirInstance::check(config(", ssl: true, verify: sometimes"));
  EXPECT_EQ(c.exitCode, 1) << c.output;
  EXPECT_EQ(WeirInstance::check(config(", ssl: true, sni: api.internal, alpn: http/1.1")).exitCode, 0);
}

}  // namespace
}  // namespace weir::test
