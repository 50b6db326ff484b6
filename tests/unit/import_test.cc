// `weir import`: sample haproxy.cfg and nginx configs (the two of the deployment weir was made
// for, a larger one of each, and the README's migration examples) against the YAML expected from them, and the pieces of the
// conversion one by one.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "weir/importer/import.h"

namespace weir::importer {
namespace {

std::string importDir() {
  const std::string file = __FILE__;  // tests/unit/import_test.cc -> tests/import/
  return file.substr(0, file.rfind("/unit/")) + "/import/";
}

std::string readFile(const std::string& name) {
  std::ifstream in(importDir() + name);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// The file converted, rendered as `weir import` prints it.
std::string converted(const std::string& name) {
  const std::string text = readFile(name);
  EXPECT_FALSE(text.empty()) << importDir() + name;
  const ImportResult r = looksLikeNginx(text) ? importNginx(text) : importHaproxy(text);
  EXPECT_EQ(r.error, "");
  return renderYaml(r, name);
}

TEST(Import, ConvertsTheSampleConfigsToTheExpectedYaml) {
  for (const char* sample : {"scaling-guide-haproxy.cfg", "scaling-guide-nginx.conf", "shop-haproxy.cfg", "shop-nginx.conf",
                             "readme-haproxy.cfg", "readme-nginx.conf"}) {
    std::string expected = std::string(sample);
    expected = expected.substr(0, expected.rfind('.')) + ".expected.yaml";
    EXPECT_EQ(converted(sample), readFile(expected)) << sample;
  }
}

TEST(Import, GuessesTheFormat) {
  EXPECT_TRUE(looksLikeNginx("upstream a {\n server 1.2.3.4;\n}\n"));
  EXPECT_FALSE(looksLikeNginx("frontend f\n  http-request deny if { path /x }\n"));
  EXPECT_FALSE(looksLikeNginx("# a { in a comment\nbackend b\n"));
}

TEST(Import, ListsEveryLineItCannotConvertWithItsNumber) {
  const ImportResult r = importHaproxy("global\n  chroot /var/empty\nfrontend f\n  bind :80\n  tcp-request content reject\n"
                                       "  default_backend b\nbackend b\n  server s 127.0.0.1:80 agent-check\n");
  ASSERT_EQ(r.notes.size(), 3u);
  EXPECT_EQ(r.notes[0].line, 2);
  EXPECT_EQ(r.notes[0].text, "chroot /var/empty");
  EXPECT_EQ(r.notes[1].line, 5);
  EXPECT_EQ(r.notes[2].line, 8);
  EXPECT_EQ(r.notes[2].why, "server options not converted: agent-check");
  EXPECT_EQ(r.config["backends"]["b"]["servers"][0]["address"].as<std::string>(), "127.0.0.1:80");
  EXPECT_FALSE(r.config["stats"]) << "no stats section when the file has none";
}

TEST(Import, HaproxyDetails) {
  const ImportResult r = importHaproxy(R"(defaults
  timeout connect 5000
  timeout client 10us
listen web
  bind *:8080
  acl api path_beg /api
  acl api path_beg /v1
  option httpchk HEAD /ping HTTP/1.1
  http-check expect string pong
  server-template s 1-3 app.internal:80 check
)");
  EXPECT_EQ(r.config["defaults"]["timeout"]["connect"].as<std::string>(), "5000ms") << "bare HAProxy numbers are ms";
  EXPECT_FALSE(r.config["defaults"]["timeout"]["client"]) << "no microseconds in weir";
  const YAML::Node fe = r.config["frontends"]["web"];
  EXPECT_EQ(fe["bind"][0].as<std::string>(), ":8080");
  EXPECT_EQ(fe["acl"]["api"].as<std::string>(), "path_beg /api /v1") << "ACL lines are OR-ed";
  EXPECT_EQ(fe["default_backend"].as<std::string>(), "web") << "a listen section is a frontend and its backend";
  const YAML::Node be = r.config["backends"]["web"];
  EXPECT_EQ(be["health_check"]["http"].as<std::string>(), "HEAD /ping");
  EXPECT_EQ(be["health_check"]["expect"].as<std::string>(), "string pong");
  EXPECT_EQ(be["servers"][0]["template"]["count"].as<int>(), 3);
}

TEST(Import, NginxDetails) {
  const ImportResult r = importNginx(R"(upstream u {
  hash $remote_addr consistent;
  server a.internal weight=2 fail_timeout=1w;
}
server {
  listen 127.0.0.1:8080;
  location = /x { return 302 /y; }
  location /admin { allow 10.0.0.0/8; deny all; proxy_pass http://u; }
}
)");
  const YAML::Node be = r.config["backends"]["u"];
  EXPECT_EQ(be["balance"].as<std::string>(), "source");
  EXPECT_EQ(be["fail_timeout"].as<std::string>(), "7d");
  EXPECT_EQ(be["servers"][0]["address"].as<std::string>(), "a.internal:80") << "nginx's default port";
  const YAML::Node fe = r.config["frontends"]["server1"];
  EXPECT_EQ(fe["bind"][0].as<std::string>(), "127.0.0.1:8080");
  EXPECT_EQ(fe["http_request"][0].as<std::string>(), "redirect location /y code 302 if { path /x }");
  EXPECT_EQ(fe["http_request"][1].as<std::string>(), "deny status 403 if { path_beg /admin } !{ src 10.0.0.0/8 }");
  EXPECT_EQ(fe["use_backend"][0].as<std::string>(), "u if { path_beg /admin }");
}

TEST(Import, OddValuesNeverThrow) {
  const ImportResult ha = importHaproxy("global\n  maxconn lots\n  nbthread 99999999999999\nbackend b\n"
                                        "  server-template s x-y app:80\n  server s 1.2.3.4:80 weight heavy inter\n");
  EXPECT_EQ(ha.config["global"]["maxconn"].as<std::string>(), "lots") << "left for weir -c to refuse, with its line";
  const ImportResult ng = importNginx("upstream u { server a weight=x max_fails=; keepalive many; }\n"
                                      "server { location / { return https://example.com/; } location /w { return; } }\n");
  EXPECT_EQ(ng.error, "");
  EXPECT_EQ(ng.config["frontends"]["server1"]["http_request"][0].as<std::string>(),
            "redirect location https://example.com/ code 302") << "`return URL` is nginx's 302";
  // Whatever the bytes, the importers answer.
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 7919) % 251 + 1);
  EXPECT_NO_THROW(importHaproxy(noise));
  EXPECT_NO_THROW(importNginx(noise));
}

TEST(Import, NginxSyntaxErrorsAreReported) {
  EXPECT_NE(importNginx("upstream u {\n  server a;\n").error.find("line 3: unexpected end of file"), std::string::npos);
  EXPECT_NE(importNginx("server { }\n}\n").error.find("unexpected `}`"), std::string::npos);
}

}  // namespace
}  // namespace weir::importer
