// Issue 8, TLS termination with the real binary and real clients (openssl s_client, curl):
// TLS 1.2 and 1.3 handshakes, TLS 1.0 and 1.1 refused, SNI choosing among an RSA and an ECDSA
// certificate (exact and wildcard names, unknown names and no SNI get the default), ALPN
// http/1.1, session resumption, the http -> https redirect, X-Forwarded-Proto at the server,
// ssl_fc (and HSTS added to responses with it), the access log's TLS fields, a file served over TLS, the handshake timeout,
// certificate errors at load and certificate reload on SIGHUP and through the runtime API.
// Certificates are made by the test (support/test_certificates.h).

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <signal.h>

#include <string>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

namespace certs = tls::testing;

/// Writes a self-signed certificate + key PEM named `file` into `dir`.
std::string writeCertificate(const TempDir& dir, const std::string& file, bool ec, const std::string& cn,
                             const std::vector<std::string>& sans, long fromDays = -1, long toDays = 30) {
  tls::EvpPkeyPtr key = certs::makeKey(ec);
  const std::string path = dir.filePath(file).string();
  certs::writePem(path, certs::makeCert(key.get(), cn, sans, fromDays, toDays).get(), key.get(), true);
  return path;
}

/// Runs `script` with sh (s_client reads its request from a pipe).
CommandResult shell(const std::string& script) { return runCommand({"sh", "-c", script}, std::chrono::seconds(20)); }

/// s_client's output for a handshake with `options`; with `input` (a request that closes), it
/// sends it and reads until weir closes, else it ends right after the handshake.
std::string sClient(std::uint16_t port, const std::string& options, const std::string& input = "") {
  const std::string feed = input.empty() ? "true" : "printf '" + input + "'";
  const CommandResult r = shell(fmt::format("{} | openssl s_client -connect 127.0.0.1:{} {} {} 2>&1", feed, port,
                                            input.empty() ? "" : "-ign_eof", options));
  return r.out;
}

/// The CN of the certificate s_client was shown ("subject=CN = shop" in its output).
std::string peerCn(const std::string& out) {
  const size_t at = out.find("subject=CN = ");
  if (at == std::string::npos) return "";
  const size_t from = at + 13;
  return out.substr(from, out.find('\n', from) - from);
}

const std::string kGetClose = "GET /hello HTTP/1.1\\r\\nHost: weir.test\\r\\nConnection: close\\r\\n\\r\\n";

class TlsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string defaultPem_ = writeCertificate(dir_, "default.pem", false, "default.test", {"default.test"});
  std::string shopPem_ = writeCertificate(dir_, "shop.pem", true, "shop", {"shop.example.com", "*.shop.example.com"});
  FakeBackend backend_{"app1"};
  std::string www_ = dir_.writeFile("www/big.bin", std::string(1 << 20, 'x')).string();
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  web:
    bind:
      - "127.0.0.1:0"
      - address: "127.0.0.1:0"
        ssl:
          certs: ["{}", "{}"]
    acl:
      health: path_beg /health
    http_request:
      - redirect scheme https code 301 if !{{ ssl_fc }} !health
      - set-header X-Was-Tls yes if {{ ssl_fc }}
    http_response:
      - add-header Strict-Transport-Security "max-age=31536000" if {{ ssl_fc }}
    static:
      - if: "{{ path_beg /big.bin }}"
        root: "{}"
    default_backend: app
backends:
  app:
    servers:
      - {{ name: app1, address: "{}" }}
stats:
  bind: "127.0.0.1:0"
  auth: {{ user: admin, password: s3cret }}
  admin: true
)",
                                 defaultPem_, shopPem_, dir_.filePath("www").string(), backend_.address())};

  std::uint16_t tlsPort() const { return weir_.tlsPort("web"); }

  CommandResult curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"curl", "-sS", "-k", "--max-time", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, std::chrono::seconds(20));
  }
};

TEST_F(TlsTest, HandshakesWithTls12And13AndRefusesTls10And11) {
  EXPECT_NE(sClient(tlsPort(), "-tls1_2").find("Protocol  : TLSv1.2"), std::string::npos);
  EXPECT_NE(sClient(tlsPort(), "-tls1_3").find("TLSv1.3"), std::string::npos);
  for (const std::string version : {"-tls1", "-tls1_1"}) {
    const std::string old = sClient(tlsPort(), version + " -cipher DEFAULT@SECLEVEL=0");
    EXPECT_NE(old.find("Cipher is (NONE)"), std::string::npos) << version << ": no session: " << old;
    EXPECT_NE(old.find("alert protocol version"), std::string::npos) << version << ": refused with an alert: " << old;
  }
}

TEST_F(TlsTest, SniPicksTheCertificateAndUnknownNamesGetTheDefault) {
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername shop.example.com")), "shop");
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername a.shop.example.com")), "shop") << "the wildcard";
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername default.test")), "default.test");
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername elsewhere.test")), "default.test");
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-noservername")), "default.test");
  EXPECT_NE(sClient(tlsPort(), "-servername shop.example.com").find("Server public key is 256 bit"), std::string::npos)
      << "the ECDSA one";
}

TEST_F(TlsTest, AlpnAgreesOnHttp11) {
  EXPECT_NE(sClient(tlsPort(), "-alpn h2,http/1.1").find("ALPN protocol: http/1.1"), std::string::npos);
}

TEST_F(TlsTest, SessionsResumeOverTls12And13) {
  for (const std::string version : {"-tls1_2", "-tls1_3"}) {
    const std::string session = dir_.filePath("session" + version).string();
    const std::string first = sClient(tlsPort(), version + " -sess_out " + session, kGetClose);
    ASSERT_NE(first.find("HTTP/1.1 200"), std::string::npos) << first;
    EXPECT_NE(first.find("New, "), std::string::npos) << first;
    const std::string second = sClient(tlsPort(), version + " -sess_in " + session, kGetClose);
    EXPECT_NE(second.find("Reused, "), std::string::npos) << version << ": " << second;
  }
}

TEST_F(TlsTest, PlainHttpIsRedirectedAndHttpsReachesTheServerAsHttps) {
  const HttpResponse plain = httpGet(weir_.port("web"), "/page?x=1", {"Host: shop.example.com"});
  EXPECT_EQ(plain.status, 301);
  EXPECT_EQ(plain.header("Location"), "https://shop.example.com/page?x=1");

  const CommandResult r = curl({"-D", "-", "--resolve", fmt::format("shop.example.com:{}:127.0.0.1", tlsPort()),
                                fmt::format("https://shop.example.com:{}/page?x=1", tlsPort())});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << "HSTS: " << r.out;
  ASSERT_TRUE(backend_.waitForRecords(1));
  const RecordedRequest seen = backend_.records().back();
  EXPECT_EQ(seen.header("X-Forwarded-Proto"), "https");
  EXPECT_EQ(seen.header("X-Was-Tls"), "yes") << "ssl_fc is true on the TLS bind";
  EXPECT_TRUE(weir_.waitForAccessLog("\"GET /page?x=1 HTTP/1.1\" shop.example.com/TLSv1.3/TLS_AES_"))
      << weir_.accessLog();
}

TEST_F(TlsTest, OnlyHostnameCharactersOfTheSniReachTheLog) {
  const std::string out = sClient(tlsPort(), "-servername 'evil name'", kGetClose);
  ASSERT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_TRUE(weir_.waitForAccessLog("\"GET /hello HTTP/1.1\" evil?name/TLSv1.3/")) << weir_.accessLog();
}

TEST_F(TlsTest, KeepAliveRequestsAndALargeFileOverTls) {
  const std::string url = fmt::format("https://127.0.0.1:{}/", tlsPort());
  const std::string out = dir_.filePath("got.bin").string();
  const CommandResult r = curl({"-o", out, url + "big.bin", "-o", "/dev/null", url + "a", "-o", "/dev/null", url + "b",
                                "-w", "%{http_code} %{num_connects}\\n"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "200 1\n200 0\n200 0\n") << "three requests on one connection";
  EXPECT_EQ(std::filesystem::file_size(out), 1u << 20);
}

TEST_F(TlsTest, ASilentConnectionIsClosedAfterTheHandshakeTimeout) {
  FakeBackend backend{"b"};
  TempDir dir;
  const std::string pem = writeCertificate(dir, "c.pem", true, "c.test", {"c.test"});
  WeirInstance weir(fmt::format(R"(defaults:
  timeout: {{ client_handshake: 200ms }}
frontends:
  fe:
    bind: [{{ address: "127.0.0.1:0", ssl: {{ certs: ["{}"] }} }}]
    default_backend: be
backends:
  be:
    servers: [{{ name: b, address: "{}" }}]
)",
                                pem, backend.address()));
  TcpClient silent(weir.tlsPort("fe"));
  EXPECT_TRUE(silent.isClosedByPeer()) << "closed without a handshake";
}

TEST_F(TlsTest, CertificatesReloadOnSighupAndThroughTheApiAndABadFileKeepsTheOldOnes) {
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername default.test")), "default.test");
  writeCertificate(dir_, "default.pem", false, "renewed.test", {"default.test"});
  const size_t mark = weir_.logSize();
  ASSERT_TRUE(weir_.signal(SIGHUP));
  ASSERT_TRUE(weir_.waitForLog("in force", kDefaultTimeout, mark)) << weir_.log();
  EXPECT_TRUE(waitFor([&] { return peerCn(sClient(tlsPort(), "-servername default.test")) == "renewed.test"; },
                      kDefaultTimeout));

  dir_.writeFile("default.pem", "not a certificate\n");
  const HttpResponse refused = httpRequest(weir_.port("stats"), "POST", "/stats/api/tls/reload",
                                           {"Authorization: Basic YWRtaW46czNjcmV0", "Content-Type: application/json"}, "{}");
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("default.pem"), std::string::npos) << refused.body;
  EXPECT_EQ(peerCn(sClient(tlsPort(), "-servername default.test")), "renewed.test") << "the old one stays";

  writeCertificate(dir_, "default.pem", true, "again.test", {"default.test"});
  const HttpResponse ok = httpRequest(weir_.port("stats"), "POST", "/stats/api/tls/reload",
                                      {"Authorization: Basic YWRtaW46czNjcmV0", "Content-Type: application/json"}, "{}");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(waitFor([&] { return peerCn(sClient(tlsPort(), "-servername default.test")) == "again.test"; },
                      kDefaultTimeout));
}

TEST(TlsConfig, BadCertificatesAreErrorsNamingTheFileAndAnExpiredOneAWarning) {
  TempDir dir;
  tls::EvpPkeyPtr key = certs::makeKey(false), other = certs::makeKey(false);
  certs::writePem(dir.filePath("mismatch.pem").string(), certs::makeCert(key.get(), "m", {"m"}).get(), other.get(), true);
  certs::writePem(dir.filePath("nokey.pem").string(), certs::makeCert(key.get(), "n", {"n"}).get(), key.get(), false);
  const std::string expired = writeCertificate(dir, "expired.pem", false, "old.test", {"old.test"}, -30, -1);
  const auto config = [&](const std::string& certs) {
    return fmt::format(R"(frontends:
  fe:
    bind:
      - address: "127.0.0.1:0"
        ssl:
          certs: [{}]
    default_backend: be
backends:
  be:
    servers: [{{ name: b, address: "127.0.0.1:9" }}]
)",
                       certs);
  };
  for (const std::string file : {"mismatch.pem", "nokey.pem", "missing.pem"}) {
    const WeirCheck c = WeirInstance::check(config("\"" + dir.filePath(file).string() + "\""));
    EXPECT_EQ(c.exitCode, 1) << c.output;
    EXPECT_NE(c.output.find("weir.yaml:6:"), std::string::npos) << c.output;
    EXPECT_NE(c.output.find(": frontends.fe.bind[0].ssl.certs[0]: " + dir.filePath(file).string()), std::string::npos)
        << c.output;
  }
  const WeirCheck c = WeirInstance::check(config("\"" + expired + "\""));
  EXPECT_EQ(c.exitCode, 0) << c.output;
  EXPECT_NE(c.output.find("the certificate has expired"), std::string::npos) << c.output;
}

}  // namespace
}  // namespace weir::test
