#include <gtest/gtest.h>


#include "weir/log/access_log.h"

namespace weir::log {
namespace {

AccessLogEntry sampleEntry() {
  AccessLogEntry e;
  e.client = "127.0.0.1:40000";
  e.acceptDate = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764291723456));
  e.frontend = "fe";
  e.backend = "be";
  e.server = "s1";
  e.TR = 1;
  e.Tw = 0;
  e.Tc = 2;
  e.Tr = 3;
  e.Ta = 7;
  e.status = 200;
  e.bytesRead = 512;
  e.termination = "--";
  e.retries = 1;
  e.serverConns = 4;
  e.queuedBehind = 2;
  e.method = "GET";
  e.target = "/a\"b";
  e.versionMinor = 1;
  return e;
}

TEST(AccessLogFormat, HttpLogHasHaproxyFieldsInOrder) {
  std::string line;
  formatHttpLog(sampleEntry(), line);
  EXPECT_EQ(line,
            "127.0.0.1:40000 [28/Nov/2025:01:02:03.456] fe be/s1 1/0/2/3/7 200 512 - - ---- 0/0/0/4/1 0/2 "
            "\"GET /a%22b HTTP/1.1\"");
}

TEST(AccessLogFormat, BadRequestIsLoggedAsBadreqWithoutServer) {
  AccessLogEntry e = sampleEntry();
  e.backend = "fe";
  e.server = "";
  e.badRequest = true;
  e.status = 400;
  e.termination = "PR";
  std::string line;
  formatHttpLog(e, line);
  EXPECT_NE(line.find(" fe fe/<NOSRV> "), std::string::npos) << line;
  EXPECT_NE(line.find(" 400 512 - - PR-- "), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with("\"<BADREQ>\"")) << line;
}

TEST(AccessLogFormat, JsonEscapesStringsAndHasEveryField) {
  AccessLogEntry e = sampleEntry();
  e.target = "/x\x01\"\\";
  std::string line;
  formatJson(e, line);
  EXPECT_EQ(line,
            "{\"client\":\"127.0.0.1:40000\",\"accept_date\":\"28/Nov/2025:01:02:03.456\",\"frontend\":\"fe\","
            "\"backend\":\"be\",\"server\":\"s1\",\"TR\":1,\"Tw\":0,\"Tc\":2,\"Tr\":3,\"Ta\":7,\"status\":200,"
            "\"bytes_read\":512,\"termination_state\":\"--\",\"retries\":1,\"srv_conn\":4,\"backend_queue\":2,\"method\":\"GET\","
            "\"uri\":\"/x\\u0001\\\"\\\\\",\"version\":\"HTTP/1.1\"}");
}

TEST(AccessLogFormat, TlsConnectionsEndWithSniVersionAndCipher) {
  AccessLogEntry e = sampleEntry();
  e.tlsVersion = "TLSv1.3";
  e.tlsCipher = "TLS_AES_128_GCM_SHA256";
  e.sni = "shop.example.com";
  std::string line;
  formatHttpLog(e, line);
  EXPECT_TRUE(line.ends_with("\"GET /a%22b HTTP/1.1\" shop.example.com/TLSv1.3/TLS_AES_128_GCM_SHA256")) << line;
  e.sni = "";
  line.clear();
  formatHttpLog(e, line);
  EXPECT_TRUE(line.ends_with(" -/TLSv1.3/TLS_AES_128_GCM_SHA256")) << "no SNI: " << line;
  line.clear();
  formatJson(e, line);
  EXPECT_TRUE(line.ends_with(",\"version\":\"HTTP/1.1\",\"tls_version\":\"TLSv1.3\",\"tls_cipher\":"
                             "\"TLS_AES_128_GCM_SHA256\",\"sni\":\"\"}"))
      << line;
}

}  // namespace
}  // namespace weir::log
