#include "weir/proxy/head_writer.h"

#include <gtest/gtest.h>

namespace weir::proxy {
namespace {

http::RequestHead request(std::initializer_list<std::pair<const char*, const char*>> headers) {
  http::RequestHead r;
  r.method = "GET";
  r.target = "/a?b=1";
  r.headers.add("Host", "example.com");
  for (auto [n, v] : headers) r.headers.add(n, v);
  return r;
}

std::string writeRequest(http::RequestHead r, ForwardingInfo fwd = {true, "10.1.2.3", "http"}) {
  std::string out;
  writeRequestHead(r, fwd, out);
  return out;
}

TEST(HeadWriter, AppendsClientToExistingForwardedFor) {
  std::string out = writeRequest(request({{"X-Forwarded-For", "1.1.1.1"}, {"X-Forwarded-For", "2.2.2.2"}}));
  EXPECT_NE(out.find("X-Forwarded-For: 1.1.1.1, 2.2.2.2, 10.1.2.3\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("X-Forwarded-For: 1.1.1.1\r\n"), std::string::npos) << out;
}

TEST(HeadWriter, AnEmptyForwardedForAddsNoEmptyListItem) {
  std::string out = writeRequest(request({{"X-Forwarded-For", "1.1.1.1"}, {"X-Forwarded-For", ""}}));
  EXPECT_NE(out.find("X-Forwarded-For: 1.1.1.1, 10.1.2.3\r\n"), std::string::npos) << out;
  out = writeRequest(request({{"X-Forwarded-For", ""}}));
  EXPECT_NE(out.find("X-Forwarded-For: 10.1.2.3\r\n"), std::string::npos) << out;
}

TEST(HeadWriter, SetsRealIpAndProtoReplacingClientValues) {
  std::string out = writeRequest(request({{"X-Real-IP", "6.6.6.6"}, {"X-Forwarded-Proto", "https"}}));
  EXPECT_NE(out.find("X-Real-IP: 10.1.2.3\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("6.6.6.6"), std::string::npos) << out;
  EXPECT_EQ(out.find("https"), std::string::npos) << out;
}

TEST(HeadWriter, AddsNoForwardingHeadersWhenDisabled) {
  std::string out = writeRequest(request({}), ForwardingInfo{false, "10.1.2.3", "http"});
  EXPECT_EQ(out, "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(HeadWriter, RemovesHopByHopAndHeadersNamedByConnection) {
  std::string out = writeRequest(request({{"Connection", "keep-alive, X-Secret"},
                                          {"X-Secret", "s"},
                                          {"Keep-Alive", "timeout=5"},
                                          {"Proxy-Connection", "keep-alive"},
                                          {"TE", "trailers"},
                                          {"Trailer", "X-T"},
                                          {"Upgrade", "websocket"},
                                          {"X-Kept", "yes"}}),
                             ForwardingInfo{false, "", "http"});
  EXPECT_EQ(out, "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nX-Kept: yes\r\n\r\n");
}

TEST(HeadWriter, ConnectionCannotRemoveHost) {
  std::string out = writeRequest(request({{"Connection", "Host"}}), ForwardingInfo{false, "", "http"});
  EXPECT_NE(out.find("Host: example.com\r\n"), std::string::npos);
}

TEST(HeadWriter, KeepsUpgradeWhenTunnelling) {
  http::RequestHead r = request({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  r.upgrade = true;
  std::string out = writeRequest(r, ForwardingInfo{false, "", "http"});
  EXPECT_EQ(out, "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(HeadWriter, WritesFramingFromTheParsedMessage) {
  http::RequestHead r = request({{"Content-Length", "0005"}, {"Expect", "100-continue"}});
  r.method = "POST";
  r.framing = http::BodyFraming::kContentLength;
  r.contentLength = 5;
  EXPECT_EQ(writeRequest(r, ForwardingInfo{false, "", "http"}),
            "POST /a?b=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n");
  http::RequestHead c = request({{"Transfer-Encoding", "chunked"}});
  c.framing = http::BodyFraming::kChunked;
  EXPECT_EQ(writeRequest(c, ForwardingInfo{false, "", "http"}),
            "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n");
}

http::ResponseHead response(http::BodyFraming framing) {
  http::ResponseHead r;
  r.status = 200;
  r.reason = "OK";
  r.framing = framing;
  r.headers.add("X-Server", "s1");
  return r;
}

TEST(HeadWriter, RechunksUntilCloseBodiesForHttp11Clients) {
  http::ResponseHead r = response(http::BodyFraming::kUntilClose);
  EXPECT_EQ(chooseClientFraming(r, 1), ClientFraming::kChunked);
  EXPECT_EQ(chooseClientFraming(r, 0), ClientFraming::kUntilClose);
  EXPECT_EQ(chooseClientFraming(response(http::BodyFraming::kChunked), 0), ClientFraming::kUntilClose);
  std::string out;
  writeResponseHead(r, ClientFraming::kChunked, ClientConnection::kKeepAlive, 1, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Server: s1\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(HeadWriter, ResponseConnectionHeaderFollowsTheDecision) {
  http::ResponseHead r = response(http::BodyFraming::kContentLength);
  r.contentLength = 3;
  r.headers.add("Connection", "keep-alive");
  r.headers.add("Keep-Alive", "timeout=5");
  std::string out;
  writeResponseHead(r, ClientFraming::kContentLength, ClientConnection::kClose, 1, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Server: s1\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
  out.clear();
  http::ResponseHead r10 = response(http::BodyFraming::kContentLength);
  r10.contentLength = 3;
  writeResponseHead(r10, ClientFraming::kContentLength, ClientConnection::kKeepAlive, 0, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Server: s1\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n");
}

TEST(HeadWriter, HeadResponseKeepsItsInformationalContentLength) {
  http::ResponseHead r = response(http::BodyFraming::kNone);
  r.headers.add("Content-Length", "1234");
  std::string out;
  writeResponseHead(r, ClientFraming::kNone, ClientConnection::kKeepAlive, 1, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nX-Server: s1\r\nContent-Length: 1234\r\n\r\n");
}

}  // namespace
}  // namespace weir::proxy
