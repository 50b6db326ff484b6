// A TLS bind's handshakes, in memory (a BIO pair between a client and the bind's SSL): SNI
// picks the certificate, an unknown name gets the default, ALPN agrees on http/1.1, TLS 1.1 is
// refused, min_version TLSv1.3 refuses 1.2, and sessions resume with their tickets.

#include "weir/tls/tls_bind.h"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/test_certificates.h"

namespace weir::tls {
namespace {

struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

struct Handshake {
  bool ok = false;
  std::vector<std::string> peerNames;
  std::string alpn;
  int version = 0;
};

class TlsBindTest : public ::testing::Test {
 protected:
  std::string dir_ = ::testing::TempDir() + "weir-tlsbind-" + std::to_string(::getpid());
  std::unique_ptr<TlsBind> bind_;

  void SetUp() override {
    std::filesystem::create_directories(dir_);
    EvpPkeyPtr rsa = testing::makeKey(false), ec = testing::makeKey(true);
    testing::writePem(dir_ + "/default.pem", testing::makeCert(rsa.get(), "default.test", {"default.test"}).get(), rsa.get(), true);
    testing::writePem(dir_ + "/shop.pem", testing::makeCert(ec.get(), "shop", {"shop.example.com", "*.shop.example.com"}).get(),
                      ec.get(), true);
    config::BindConfig bind;
    bind.ssl = true;
    bind.certs = {{"default.pem", "", {}}, {"shop.pem", "", {}}};
    std::string error;
    bind_ = TlsBind::build(bind, dir_, nullptr, &error);
    ASSERT_NE(bind_, nullptr) << error;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Runs a handshake of a client (offering `sni`, ALPN h2 + http/1.1, at most `maxVersion`)
  /// against `bind`.
  static Handshake shake(const TlsBind& bind, const std::string& sni, int maxVersion = 0) {
    SslCtxPtr clientCtx(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_min_proto_version(clientCtx.get(), TLS1_VERSION);
    SSL_CTX_set_security_level(clientCtx.get(), 0);  // so that it may offer TLS 1.1 at all
    if (maxVersion != 0) SSL_CTX_set_max_proto_version(clientCtx.get(), maxVersion);
    SslPtr client(SSL_new(clientCtx.get()));
    SslPtr server(bind.newSsl());
    if (!sni.empty()) SSL_ctrl(client.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(sni.c_str()));
    static const unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_set_alpn_protos(client.get(), kAlpn, sizeof(kAlpn));
    BIO* clientBio = nullptr;
    BIO* serverBio = nullptr;
    BIO_new_bio_pair(&clientBio, 0, &serverBio, 0);
    SSL_set_bio(client.get(), clientBio, clientBio);
    SSL_set_bio(server.get(), serverBio, serverBio);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    Handshake h;
    bool clientDone = false, serverDone = false;
    for (int round = 0; round < 20 && !(clientDone && serverDone); ++round) {
      if (!clientDone) {
        const int r = SSL_do_handshake(client.get());
        if (r == 1) clientDone = true;
        else if (SSL_get_error(client.get(), r) != SSL_ERROR_WANT_READ) break;
      }
      if (!serverDone) {
        const int r = SSL_do_handshake(server.get());
        if (r == 1) serverDone = true;
        else if (SSL_get_error(server.get(), r) != SSL_ERROR_WANT_READ) break;
      }
    }
    ERR_clear_error();
    h.ok = clientDone && serverDone;
    if (!h.ok) return h;
    X509Ptr peer(SSL_get1_peer_certificate(client.get()));
    if (peer) h.peerNames = certificateNames(peer.get());
    const unsigned char* alpn = nullptr;
    unsigned int alpnLen = 0;
    SSL_get0_alpn_selected(client.get(), &alpn, &alpnLen);
    h.alpn.assign(reinterpret_cast<const char*>(alpn), alpnLen);
    h.version = SSL_version(client.get());
    return h;
  }
};

TEST_F(TlsBindTest, SniPicksTheCertificateAndAnUnknownNameGetsTheDefault) {
  Handshake shop = shake(*bind_, "www.shop.example.com");
  ASSERT_TRUE(shop.ok);
  EXPECT_EQ(shop.peerNames.front(), "shop.example.com");
  Handshake other = shake(*bind_, "unknown.test");
  ASSERT_TRUE(other.ok);
  EXPECT_EQ(other.peerNames, std::vector<std::string>{"default.test"});
  Handshake none = shake(*bind_, "");
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.peerNames, std::vector<std::string>{"default.test"});
}

TEST_F(TlsBindTest, AlpnAndVersions) {
  Handshake h13 = shake(*bind_, "shop.example.com");
  ASSERT_TRUE(h13.ok);
  EXPECT_EQ(h13.alpn, "http/1.1") << "h2 is not offered back";
  EXPECT_EQ(h13.version, TLS1_3_VERSION);
  Handshake h12 = shake(*bind_, "shop.example.com", TLS1_2_VERSION);
  ASSERT_TRUE(h12.ok);
  EXPECT_EQ(h12.version, TLS1_2_VERSION);
  EXPECT_FALSE(shake(*bind_, "shop.example.com", TLS1_1_VERSION).ok) << "TLS 1.1 is refused";

}

/// A plain client's handshake against `bind`, resuming `resume` if given; returns whether it
/// completed and was resumed, and (in *session, owned by the caller) the session to resume.
std::pair<bool, bool> resumeShake(const TlsBind& bind, const char* sni, int maxVersion, SSL_SESSION* resume, SSL_SESSION** session) {
  SslCtxPtr clientCtx(SSL_CTX_new(TLS_client_method()));
  if (maxVersion != 0) SSL_CTX_set_max_proto_version(clientCtx.get(), maxVersion);
  SslPtr client(SSL_new(clientCtx.get()));
  SslPtr server(bind.newSsl());
  SSL_ctrl(client.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(sni));
  if (resume != nullptr) SSL_set_session(client.get(), resume);
  BIO* clientBio = nullptr;
  BIO* serverBio = nullptr;
  BIO_new_bio_pair(&clientBio, 0, &serverBio, 0);
  SSL_set_bio(client.get(), clientBio, clientBio);
  SSL_set_bio(server.get(), serverBio, serverBio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  bool clientDone = false, serverDone = false;
  for (int round = 0; round < 20 && !(clientDone && serverDone); ++round) {
    if (!clientDone) clientDone = SSL_do_handshake(client.get()) == 1;
    if (!serverDone) serverDone = SSL_do_handshake(server.get()) == 1;
  }
  char byte;
  SSL_read(client.get(), &byte, 1);  // TLS 1.3 tickets arrive after the handshake
  ERR_clear_error();
  *session = SSL_get1_session(client.get());
  // A connection freed without a clean close invalidates its session (OpenSSL's rule): close
  // both ends as after close_notify.
  SSL_set_shutdown(client.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_set_shutdown(server.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  return {clientDone && serverDone, SSL_session_reused(client.get()) == 1};
}

TEST_F(TlsBindTest, SessionsResumeWithTheirTicketWhateverTheCertificate) {
  for (int version : {TLS1_2_VERSION, 0}) {
    for (const char* name : {"default.test", "shop.example.com"}) {
      SSL_SESSION* first = nullptr;
      SSL_SESSION* second = nullptr;
      EXPECT_TRUE(resumeShake(*bind_, name, version, nullptr, &first).first);
      const auto [ok, reused] = resumeShake(*bind_, name, version, first, &second);
      EXPECT_TRUE(ok && reused) << name << " version " << version;
      SSL_SESSION_free(first);
      SSL_SESSION_free(second);
    }
  }
}

TEST_F(TlsBindTest, TicketsOutliveOneKeyRotationButNotTwo) {
  config::BindConfig config;
  config.certs = {{"default.pem", "", {}}};
  std::string error;
  std::shared_ptr<TicketKeyRing> ring = TicketKeyRing::create(&error);
  ASSERT_NE(ring, nullptr) << error;
  std::unique_ptr<TlsBind> bind = TlsBind::build(config, dir_, ring, &error);
  ASSERT_NE(bind, nullptr) << error;
  for (int version : {TLS1_2_VERSION, 0}) {
    SSL_SESSION* first = nullptr;
    SSL_SESSION* again = nullptr;
    SSL_SESSION* late = nullptr;
    ASSERT_TRUE(resumeShake(*bind, "default.test", version, nullptr, &first).first);
    ASSERT_TRUE(ring->rotate());
    EXPECT_TRUE(resumeShake(*bind, "default.test", version, first, &again).second)
        << "version " << version << ": sealed with the previous key";
    ASSERT_TRUE(ring->rotate());
    ASSERT_TRUE(ring->rotate());
    const auto [ok, reused] = resumeShake(*bind, "default.test", version, first, &late);
    EXPECT_TRUE(ok) << "a full handshake instead";
    EXPECT_FALSE(reused) << "version " << version << ": its key is gone";
    for (SSL_SESSION* s : {first, again, late}) SSL_SESSION_free(s);
  }
}

TEST_F(TlsBindTest, MinVersionTls13RefusesTls12) {
  config::BindConfig bind;
  bind.certs = {{"default.pem", "", {}}};
  bind.min_version = "TLSv1.3";
  std::string error;
  std::unique_ptr<TlsBind> strict = TlsBind::build(bind, dir_, nullptr, &error);
  ASSERT_NE(strict, nullptr) << error;
  EXPECT_FALSE(shake(*strict, "default.test", TLS1_2_VERSION).ok);
  EXPECT_TRUE(shake(*strict, "default.test").ok);
}

TEST_F(TlsBindTest, AMissingCertificateIsAnErrorNamingIt) {
  config::BindConfig bind;
  bind.certs = {{"nope.pem", "", {}}};
  std::string error;
  EXPECT_EQ(TlsBind::build(bind, dir_, nullptr, &error), nullptr);
  EXPECT_NE(error.find(dir_ + "/nope.pem"), std::string::npos) << error;
}

}  // namespace
}  // namespace weir::tls
