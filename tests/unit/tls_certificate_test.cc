// TLS foundations: certificates generated here (RSA and ECDSA, several names, an expired one,
// a mismatched key) load with their names and key type, or fail naming the file; SNI picks the
// exact name, then a one-label wildcard, else the first certificate.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "weir/tls/server_certificate.h"
#include "weir/tls/sni_selector.h"
#include "support/test_certificates.h"

namespace weir::tls {
namespace {

using testing::makeCert;
using testing::makeKey;

class TlsCertificateTest : public ::testing::Test {
 protected:
  std::string dir_ = ::testing::TempDir() + "weir-tls-" + std::to_string(::getpid());

  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes the certificate, then the key (unless `keySeparately`), to NAME.pem; the key to NAME.key too.
  std::string write(const std::string& name, X509* cert, EVP_PKEY* key, bool keyInPem = true) {
    const std::string pem = dir_ + "/" + name + ".pem";
    testing::writePem(pem, cert, key, keyInPem, dir_ + "/" + name + ".key");
    return pem;
  }
};

TEST_F(TlsCertificateTest, LoadsRsaAndEcdsaWithTheirNames) {
  EvpPkeyPtr rsa = makeKey(false), ec = makeKey(true);
  const std::string rsaPem = write("rsa", makeCert(rsa.get(), "www.example.com", {"www.example.com", "*.Example.COM"}).get(), rsa.get());
  const std::string ecPem = write("ec", makeCert(ec.get(), "only-cn.test", {}).get(), ec.get());
  std::string error;
  std::optional<ServerCertificate> a = loadServerCertificate(rsaPem, "", TlsSettings{}, &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->names, (std::vector<std::string>{"www.example.com", "*.example.com"}));
  EXPECT_EQ(a->keyType, "RSA");
  EXPECT_FALSE(a->expired);
  EXPECT_GT(a->notAfterUnix, 0);
  std::optional<ServerCertificate> b = loadServerCertificate(ecPem, "", TlsSettings{}, &error);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(b->names, std::vector<std::string>{"only-cn.test"}) << "the CN when there is no subjectAltName";
  EXPECT_EQ(b->keyType, "EC");
  EXPECT_EQ(SSL_CTX_get_min_proto_version(b->ctx.get()), TLS1_2_VERSION);
}

TEST_F(TlsCertificateTest, ASeparateKeyFileAndAnExpiredCertificateLoad) {
  EvpPkeyPtr key = makeKey(true);
  const std::string pem = write("old", makeCert(key.get(), "old.test", {"old.test"}, -60, -1).get(), key.get(), false);
  std::string error;
  std::optional<ServerCertificate> c = loadServerCertificate(pem, dir_ + "/old.key", TlsSettings{}, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_TRUE(c->expired) << "loaded, and reported as expired";
}

TEST_F(TlsCertificateTest, BadFilesAreErrorsNamingTheFile) {
  EvpPkeyPtr key = makeKey(true), other = makeKey(true);
  const std::string noKey = write("nokey", makeCert(key.get(), "a.test", {"a.test"}).get(), key.get(), false);
  std::string error;
  EXPECT_FALSE(loadServerCertificate(noKey, "", TlsSettings{}, &error));
  EXPECT_NE(error.find(noKey + ": no private key"), std::string::npos) << error;
  const std::string cert = write("mismatch", makeCert(key.get(), "a.test", {"a.test"}).get(), key.get(), false);
  write("other", makeCert(other.get(), "b.test", {}).get(), other.get());
  EXPECT_FALSE(loadServerCertificate(cert, dir_ + "/other.key", TlsSettings{}, &error));
  EXPECT_NE(error.find("does not match the certificate of " + cert), std::string::npos) << error;
  EXPECT_FALSE(loadServerCertificate(dir_ + "/missing.pem", "", TlsSettings{}, &error));
  EXPECT_NE(error.find(dir_ + "/missing.pem: no certificate"), std::string::npos) << error;
  TlsSettings bad;
  bad.ciphers = "NOT-A-CIPHER";
  const std::string good = write("good", makeCert(key.get(), "g.test", {}).get(), key.get());
  EXPECT_FALSE(loadServerCertificate(good, "", bad, &error));
  EXPECT_NE(error.find("ciphers"), std::string::npos) << error;
}

TEST(SniSelector, ExactThenOneLabelWildcardElseTheFirst) {
  SniSelector sni;
  sni.add({"default.test"}, 0);
  sni.add({"www.example.com", "*.example.com"}, 1);
  sni.add({"api.example.com"}, 2);
  sni.add({"www.example.com"}, 3);  // taken by 1 already
  EXPECT_EQ(sni.select("api.example.com"), 2u);
  EXPECT_EQ(sni.select("WWW.Example.com"), 1u);
  EXPECT_EQ(sni.select("shop.example.com"), 1u);
  EXPECT_EQ(sni.select("a.b.example.com"), 0u) << "a wildcard covers one label";
  EXPECT_EQ(sni.select("example.com"), 0u);
  EXPECT_EQ(sni.select("unknown.test"), 0u);
  EXPECT_EQ(sni.select(""), 0u);
}

}  // namespace
}  // namespace weir::tls
