// Issue 7: weir's CSV header is HAProxy's, column for column, checked against the HAProxy this
// machine runs (Debian's, the one bench/ measures against), not against a copy of its docs.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

/// A port nothing listens on now (HAProxy needs a number in its config).
std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

TEST(StatsHaproxyCompat, TheCsvHeaderIsHaproxysColumnForColumn) {
  FakeBackend backend{"b"};
  TempDir dir;
  const std::uint16_t statsPort = freePort();
  const std::string cfg = dir.writeFile("haproxy.cfg", fmt::format(R"(global
  maxconn 100
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
backend be
  server s1 {}
listen stats
  bind 127.0.0.1:{}
  stats enable
  stats uri /stats
)",
                                                                  backend.address(), statsPort))
                              .string();
  Process haproxy({"haproxy", "-db", "-f", cfg});
  HttpResponse theirs;
  ASSERT_TRUE(waitFor([&] { return (theirs = httpGet(statsPort, "/stats;csv")).status == 200; }, kDefaultTimeout))
      << haproxy.stderrText();
  // HAProxy's own columns end where its modules' begin, after a "-" column.
  std::string header = firstLine(theirs.body);
  header = header.substr(0, header.find(",-,") + 1);
  ASSERT_TRUE(header.starts_with("# pxname,svname,")) << header;

  WeirInstance weir(fmt::format(R"(frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: be
backends:
  be: {{ servers: [{{ name: s1, address: "{}" }}] }}
stats:
  bind: "127.0.0.1:0"
)",
                                backend.address()));
  EXPECT_EQ(firstLine(httpGet(weir.port("stats"), "/stats;csv").body), header);
}

}  // namespace
}  // namespace weir::test
