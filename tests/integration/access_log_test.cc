// Issue point 11, end to end: the access log — HAProxy's httplog line field by field, the JSON
// format, the log targets, and dontlognull.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/fake_backend.h"
#include "support/httplog_line.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;


/// Seconds between an httplog accept date ("08/Mar/2025:14:03:07.123", UTC) and now.
long long secondsFromNow(const std::string& acceptDate) {
  std::tm tm{};
  if (strptime(acceptDate.c_str(), "%d/%b/%Y:%H:%M:%S", &tm) == nullptr) return 1'000'000;
  return static_cast<long long>(timegm(&tm)) - static_cast<long long>(std::time(nullptr));
}

/// A flat JSON object of strings and numbers, as weir's JSON log lines are: key -> raw value
/// (strings unescaped, numbers as written). nullopt when the text is not such an object.
std::optional<std::map<std::string, std::string>> parseFlatJson(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::size_t i = 0;
  auto skipSpace = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto readString = [&]() -> std::optional<std::string> {
    if (i >= text.size() || text[i] != '"') return std::nullopt;
    std::string out;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (static_cast<unsigned char>(text[i]) < 0x20) return std::nullopt;
      if (text[i] != '\\') {
        out.push_back(text[i]);
        continue;
      }
      if (++i >= text.size()) return std::nullopt;
      const char escaped = text[i];
      if (escaped == 'u') {
        if (i + 4 >= text.size()) return std::nullopt;
        out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 4), nullptr, 16)));
        i += 4;
      } else if (escaped == 'n') {
        out.push_back('\n');
      } else if (escaped == '"' || escaped == '\\' || escaped == '/') {
        out.push_back(escaped);
      } else {
        return std::nullopt;
      }
    }
    if (i >= text.size()) return std::nullopt;
    ++i;
    return out;
  };
  skipSpace();
  if (i >= text.size() || text[i++] != '{') return std::nullopt;
  for (;;) {
    skipSpace();
    std::optional<std::string> key = readString();
    if (!key) return std::nullopt;
    skipSpace();
    if (i >= text.size() || text[i++] != ':') return std::nullopt;
    skipSpace();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      std::optional<std::string> s = readString();
      if (!s) return std::nullopt;
      value = *s;
    } else {
      const std::size_t start = i;
      while (i < text.size() && (text[i] == '-' || std::isdigit(static_cast<unsigned char>(text[i])))) ++i;
      if (i == start) return std::nullopt;
      value = text.substr(start, i - start);
    }
    if (!fields.emplace(*key, value).second) return std::nullopt;  // duplicate key
    skipSpace();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '}' && i + 1 == text.size()) return fields;
    return std::nullopt;
  }
}

/// simpleConfig with `global.log` (and optionally more global keys) replaced.
std::string configWithGlobal(const std::vector<std::string>& servers, const std::string& globalExtra,
                             const std::string& defaultsExtra = "") {
  std::string yaml = simpleConfig(servers, "", defaultsExtra);
  const std::string stdoutLine = "  log: stdout\n";
  const std::size_t at = yaml.find(stdoutLine);
  if (at == std::string::npos) {
    ADD_FAILURE() << "simpleConfig changed shape:\n" << yaml;
    return yaml;
  }
  return yaml.replace(at, stdoutLine.size(), indentYaml(globalExtra, 2));
}

std::vector<std::string> nonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

/// How long a test waits to be sure a line does NOT come: weir flushes its log within ~50ms.
constexpr auto kNoLineWait = 400ms;

class AccessLog : public ::testing::Test {};

// --- httplog -------------------------------------------------------------------------------

TEST_F(AccessLog, WritesEveryHttplogFieldForAProxiedRequest) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.isConnected()) << client.error();
  ASSERT_TRUE(client.send(formatRequest("GET", "/logged?delay=100", weir.port())));
  const HttpResponse response = client.readResponse();
  ASSERT_EQ(response.status, 200) << response.describe();

  const auto line = weir.waitForAccessLog("/logged");

  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  const auto log = parseHttpLog(*line);
  ASSERT_TRUE(log.has_value()) << "not an httplog line: " << *line;
  EXPECT_EQ(log->clientIp, "127.0.0.1");
  EXPECT_EQ(log->clientPort, client.localPort());
  EXPECT_LE(std::abs(secondsFromNow(log->acceptDate)), 60) << log->acceptDate;
  EXPECT_EQ(log->frontend, "fe");
  EXPECT_EQ(log->backend, "be");
  EXPECT_EQ(log->server, "s1");
  EXPECT_GE(log->TR, 0);
  EXPECT_EQ(log->Tw, 0);
  EXPECT_GE(log->Tc, 0);
  EXPECT_GE(log->Tr, 100);  // the server waited 100ms before its head
  EXPECT_GE(log->Ta, log->TR + log->Tw + log->Tc + log->Tr);
  EXPECT_LT(log->Ta, 5000);
  EXPECT_EQ(log->status, 200);
  EXPECT_EQ(log->bytes, response.raw.size());
  EXPECT_EQ(log->termination, "----");
  EXPECT_EQ(log->retries, 0);
  EXPECT_EQ(log->requestLine, "GET /logged?delay=100 HTTP/1.1");
}

TEST_F(AccessLog, LogsStatusTheServerAnswered) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}));

  ASSERT_EQ(httpGet(weir.port(), "/missing?status=404").status, 404);

  const auto line = weir.waitForAccessLog("/missing");
  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  const auto log = parseHttpLog(*line);
  ASSERT_TRUE(log.has_value()) << *line;
  EXPECT_EQ(log->status, 404);
  EXPECT_EQ(log->termination, "----");
}

TEST_F(AccessLog, WritesOneLinePerRequestOfAKeepAliveConnection) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}));
  TcpClient client(weir.port());
  for (const char* target : {"/one", "/two", "/three"}) {
    ASSERT_TRUE(client.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: weir\r\n\r\n"));
    ASSERT_EQ(client.readResponse().status, 200) << target;
  }

  ASSERT_TRUE(weir.waitForAccessLog("\"GET /three HTTP/1.1\"").has_value()) << weir.accessLog();

  const std::vector<std::string> lines = nonEmptyLines(weir.accessLog());
  ASSERT_EQ(lines.size(), 3u) << weir.accessLog();
  EXPECT_NE(lines[0].find("\"GET /one HTTP/1.1\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"GET /two HTTP/1.1\""), std::string::npos) << lines[1];
  for (const std::string& line : lines) {
    const auto log = parseHttpLog(line);
    ASSERT_TRUE(log.has_value()) << line;
    EXPECT_EQ(log->clientPort, client.localPort());
  }
}

TEST_F(AccessLog, LogsBadRequestAsBadreqWith400AndPR) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("NOT A REQUEST\r\n\r\n"));
  ASSERT_EQ(client.readResponse().status, 400);

  const auto line = weir.waitForAccessLog("<BADREQ>");

  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  const auto log = parseHttpLog(*line);
  ASSERT_TRUE(log.has_value()) << *line;
  EXPECT_EQ(log->requestLine, "<BADREQ>");
  EXPECT_EQ(log->status, 400);
  EXPECT_EQ(log->termination, "PR--");
  EXPECT_EQ(log->clientPort, client.localPort());
  EXPECT_EQ(log->server, "<NOSRV>");
  EXPECT_EQ(backend.stats().requests, 0u);
}

// --- json ----------------------------------------------------------------------------------

TEST_F(AccessLog, WritesJsonLinesWithTheHttplogFields) {
  FakeBackend backend("alpha");
  WeirInstance weir(configWithGlobal({backend.address()}, "log: stdout\nlog_format: json"));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send(formatRequest("GET", "/json?size=10", weir.port())));
  const HttpResponse response = client.readResponse();
  ASSERT_EQ(response.status, 200) << response.describe();

  const auto line = weir.waitForAccessLog("/json");

  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  const auto fields = parseFlatJson(*line);
  ASSERT_TRUE(fields.has_value()) << "not a flat JSON object: " << *line;
  const std::map<std::string, std::string>& f = *fields;
  for (const char* key : {"client", "accept_date", "frontend", "backend", "server", "TR", "Tw", "Tc", "Tr", "Ta",
                          "status", "bytes_read", "termination_state", "retries", "method", "uri"}) {
    EXPECT_EQ(f.count(key), 1u) << "no key " << key << " in " << *line;
  }
  EXPECT_EQ(f.at("client"), "127.0.0.1:" + std::to_string(client.localPort()));
  EXPECT_EQ(f.at("frontend"), "fe");
  EXPECT_EQ(f.at("backend"), "be");
  EXPECT_EQ(f.at("server"), "s1");
  EXPECT_EQ(f.at("status"), "200");
  EXPECT_EQ(f.at("bytes_read"), std::to_string(response.raw.size()));
  EXPECT_EQ(f.at("termination_state"), "--");
  EXPECT_EQ(f.at("method"), "GET");
  EXPECT_EQ(f.at("uri"), "/json?size=10");
  EXPECT_LE(std::abs(secondsFromNow(f.at("accept_date"))), 60) << f.at("accept_date");
}

// --- targets -------------------------------------------------------------------------------

TEST_F(AccessLog, WritesNothingWithLogNone) {
  FakeBackend backend("alpha");
  WeirInstance weir(configWithGlobal({backend.address()}, "log: none"));

  ASSERT_EQ(httpGet(weir.port(), "/quiet").status, 200);

  EXPECT_FALSE(weir.waitForAccessLog("/quiet", kNoLineWait).has_value());
  EXPECT_EQ(weir.accessLog(), "");
  EXPECT_EQ(weir.log().find("/quiet"), std::string::npos) << weir.log();
}

TEST_F(AccessLog, WritesToTheConfiguredFile) {
  FakeBackend backend("alpha");
  TempDir dir;
  const std::filesystem::path file = dir.filePath("access.log");
  WeirInstance weir(configWithGlobal({backend.address()}, "log: " + file.string()));

  ASSERT_EQ(httpGet(weir.port(), "/to-file").status, 200);

  ASSERT_TRUE(waitFor([&] { return readFileText(file).find("/to-file") != std::string::npos; }, kDefaultTimeout))
      << "file: " << readFileText(file);
  const std::vector<std::string> lines = nonEmptyLines(readFileText(file));
  ASSERT_EQ(lines.size(), 1u);
  const auto log = parseHttpLog(lines[0]);
  ASSERT_TRUE(log.has_value()) << lines[0];
  EXPECT_EQ(log->requestLine, "GET /to-file HTTP/1.1");
  EXPECT_EQ(weir.accessLog(), "");  // not on stdout as well
}

/// A log reader that stops reading (a stuck pipe, journald under load) must cost log lines,
/// never service: the worker drops what the pipe cannot take at once.
TEST_F(AccessLog, AReaderThatStopsReadingNeverStallsTheWorker) {
  FakeBackend backend("alpha");
  TempDir dir;
  const std::filesystem::path fifo = dir.filePath("access.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // held, never read
  ASSERT_GE(reader, 0);
  WeirInstance weir(configWithGlobal({backend.address()}, "log: " + fifo.string()));
  TcpClient client(weir.port());
  // ~4000 lines of ~150 bytes: several times what a pipe holds (64 KiB).
  const std::string target = "/" + std::string(60, 'p');
  int served = 0;
  for (int i = 0; i < 4000; ++i) {
    if (!client.send(formatRequest("GET", target, weir.port(), {"Connection: keep-alive"}))) break;
    if (client.readResponse(2s).status != 200) break;
    ++served;
  }
  ::close(reader);

  EXPECT_EQ(served, 4000) << "the worker stalled on its log";
  EXPECT_TRUE(weir.waitForLog("line(s) dropped").has_value()) << weir.log();
}

// --- dontlognull ---------------------------------------------------------------------------

TEST_F(AccessLog, LogsConnectionThatSentNothingWithoutDontlognull) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}, "", "dontlognull: false"));
  std::uint16_t silentPort = 0;
  {
    TcpClient silent(weir.port());
    ASSERT_TRUE(silent.isConnected()) << silent.error();
    silentPort = silent.localPort();
    silent.shutdownWrite();
    ASSERT_TRUE(silent.isClosedByPeer());
  }

  const auto line = weir.waitForAccessLog(":" + std::to_string(silentPort) + " ");
  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  EXPECT_NE(line->find(" CR-- "), std::string::npos) << *line;
  EXPECT_NE(line->find("\"<BADREQ>\""), std::string::npos) << *line;
}

TEST_F(AccessLog, DoesNotLogConnectionThatSentNothingWithDontlognull) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}, "", "dontlognull: true"));
  {
    TcpClient silent(weir.port());
    ASSERT_TRUE(silent.isConnected()) << silent.error();
    silent.shutdownWrite();
    ASSERT_TRUE(silent.isClosedByPeer());  // weir saw it and closed its side
  }

  // A real request afterwards: its line must be the only one.
  ASSERT_EQ(httpGet(weir.port(), "/real").status, 200);
  ASSERT_TRUE(weir.waitForAccessLog("/real").has_value()) << weir.accessLog();

  const std::vector<std::string> lines = nonEmptyLines(weir.accessLog());
  ASSERT_EQ(lines.size(), 1u) << weir.accessLog();
  EXPECT_NE(lines[0].find("\"GET /real HTTP/1.1\""), std::string::npos) << lines[0];
}

TEST_F(AccessLog, DoesNotLogIdleConnectionClosedByRequestTimeoutWithDontlognull) {
  FakeBackend backend("alpha");
  WeirInstance weir(
      simpleConfig({backend.address()}, "",
                   "dontlognull: true\ntimeout:\n  connect: 1s\n  client: 10s\n  server: 10s\n  http_request: 300ms"));
  TcpClient idle(weir.port());
  ASSERT_TRUE(idle.isConnected()) << idle.error();

  const std::string received = idle.readUntilClosed(3s);

  EXPECT_TRUE(idle.isClosedByPeer(0ms));
  EXPECT_EQ(received, "");
  EXPECT_FALSE(weir.waitForAccessLog("", kNoLineWait).has_value()) << weir.accessLog();
}

// Without dontlognull, weir logs a null connection when its request timeout ends it (408,
// cR--). Note: one the client closes itself is not logged either way (HAProxy would log it
// as <BADREQ> CR-- without dontlognull).
TEST_F(AccessLog, LogsIdleConnectionEndedByRequestTimeoutWithoutDontlognull) {
  FakeBackend backend("alpha");
  WeirInstance weir(
      simpleConfig({backend.address()}, "",
                   "dontlognull: false\ntimeout:\n  connect: 1s\n  client: 10s\n  server: 10s\n  http_request: 300ms"));
  TcpClient idle(weir.port());
  ASSERT_TRUE(idle.isConnected()) << idle.error();

  const HttpResponse response = idle.readResponse(3s);

  EXPECT_EQ(response.status, 408) << response.describe();
  const auto line = weir.waitForAccessLog("<BADREQ>");
  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  const auto log = parseHttpLog(*line);
  ASSERT_TRUE(log.has_value()) << *line;
  EXPECT_EQ(log->status, 408);
  EXPECT_EQ(log->termination, "cR--");
  EXPECT_EQ(log->clientPort, idle.localPort());
}

}  // namespace
}  // namespace weir::test
