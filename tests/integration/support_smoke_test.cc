// Tests of the integration-test support library itself, against the fake backend directly
// (no weir): if these fail, every integration test's verdict is suspect.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <regex>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/response_parser.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

std::string keepAliveGet(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: fake\r\n\r\n";
}

// --- the fake backend -------------------------------------------------------------------------

TEST(SupportSmoke, FakeBackendAnswersWithXServer) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpGet(backend.port(), "/");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Server"), "alpha");
  EXPECT_EQ(backend.address(), "127.0.0.1:" + std::to_string(backend.port()));
}

TEST(SupportSmoke, FakeBackendRecordsRequestHead) {
  FakeBackend backend("alpha");
  TcpClient client(backend.port());
  ASSERT_TRUE(client.isConnected()) << client.error();
  const std::string head =
      "GET /path?x=1 HTTP/1.1\r\nHost: fake\r\nX-Test:  yes \r\nConnection: close\r\n\r\n";

  ASSERT_TRUE(client.send(head)) << client.error();
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_TRUE(backend.waitForRecords(1));
  const std::vector<RecordedRequest> records = backend.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].malformed);
  EXPECT_EQ(records[0].conn, 1u);
  EXPECT_EQ(records[0].req, 1u);
  EXPECT_EQ(records[0].method, "GET");
  EXPECT_EQ(records[0].target, "/path?x=1");
  EXPECT_EQ(records[0].head, head);
  EXPECT_EQ(records[0].requestLine(), "GET /path?x=1 HTTP/1.1");
  EXPECT_EQ(records[0].header("x-test"), "yes");
  EXPECT_EQ(records[0].bodySize, 0u);
}

TEST(SupportSmoke, FakeBackendRecordsRequestBody) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpRequest(backend.port(), "POST", "/upload", {}, "hello\nworld");

  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_TRUE(backend.waitForRecords(1));
  const RecordedRequest record = backend.records().at(0);
  EXPECT_EQ(record.method, "POST");
  EXPECT_EQ(record.bodySize, 11u);
  EXPECT_EQ(record.body, "hello\nworld");
}

TEST(SupportSmoke, FakeBackendRecordsRequestsOfOneConnectionInOrder) {
  FakeBackend backend("alpha");
  TcpClient client(backend.port());

  ASSERT_TRUE(client.send(keepAliveGet("/one") + keepAliveGet("/two")));
  ASSERT_TRUE(client.readResponse().ok());
  ASSERT_TRUE(client.readResponse().ok());

  ASSERT_TRUE(backend.waitForRecords(2));
  const std::vector<RecordedRequest> records = backend.records();
  EXPECT_EQ(records[0].target, "/one");
  EXPECT_EQ(records[1].target, "/two");
  EXPECT_EQ(records[0].conn, records[1].conn);
  EXPECT_EQ(records[1].req, 2u);
}

TEST(SupportSmoke, FakeBackendStatsCountConnectionsAndRequests) {
  FakeBackend backend("alpha");
  TcpClient kept(backend.port());
  ASSERT_TRUE(kept.send(keepAliveGet("/a") + keepAliveGet("/b")));
  ASSERT_TRUE(kept.readResponse().ok());
  ASSERT_TRUE(kept.readResponse().ok());
  ASSERT_TRUE(httpGet(backend.port(), "/c").ok());

  const FakeBackendStats stats = backend.stats();

  EXPECT_EQ(stats.connections, 2u);  // the stats query does not count itself
  EXPECT_EQ(stats.requests, 3u);
  EXPECT_TRUE(waitFor([&] { return backend.stats().open == 1; }, kDefaultTimeout));
}

TEST(SupportSmoke, FakeBackendAppliesRouteScript) {
  FakeBackend backend("alpha", {.routes = {"/missing=status=404"}});

  EXPECT_EQ(httpGet(backend.port(), "/missing").status, 404);
  EXPECT_EQ(httpGet(backend.port(), "/other").status, 200);
}

TEST(SupportSmoke, FakeBackendsLiveInAVector) {
  std::vector<FakeBackend> backends;
  backends.emplace_back("s1");
  backends.emplace_back("s2");

  const std::vector<std::string> addresses = addressesOf(backends);

  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0], backends[0].address());
  EXPECT_EQ(httpGet(backends[0].port(), "/").header("X-Server"), "s1");
  EXPECT_EQ(httpGet(backends[1].port(), "/").header("X-Server"), "s2");
}

TEST(SupportSmoke, KilledFakeBackendRefusesConnections) {
  FakeBackend backend("alpha");
  const std::uint16_t port = backend.port();

  backend.kill();

  EXPECT_FALSE(backend.isRunning());
  TcpClient client(port);
  EXPECT_FALSE(client.isConnected());
  EXPECT_NE(client.error().find("refused"), std::string::npos) << client.error();
}

TEST(SupportSmoke, RestartedFakeBackendListensOnTheSamePort) {
  FakeBackend backend("alpha");
  const std::uint16_t port = backend.port();
  ASSERT_TRUE(httpGet(port, "/before").ok());
  backend.stop();

  backend.start();

  EXPECT_EQ(backend.port(), port);
  const HttpResponse response = httpGet(port, "/after");
  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_TRUE(backend.waitForRecords(2));
  EXPECT_EQ(backend.records().at(1).target, "/after");
}

// --- the TCP client against the fake backend --------------------------------------------------

TEST(SupportSmoke, TcpClientDecodesChunkedResponse) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpGet(backend.port(), "/?chunked=1&size=100000");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.framing, BodyFraming::Chunked);
  EXPECT_EQ(response.body.size(), 100000u);
  EXPECT_FALSE(response.chunkSizes.empty());
  EXPECT_FALSE(response.headers.has("Content-Length"));
}

TEST(SupportSmoke, TcpClientReadsContentLengthBody) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpGet(backend.port(), "/?size=12345");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.framing, BodyFraming::ContentLength);
  EXPECT_EQ(response.header("Content-Length"), "12345");
  EXPECT_EQ(response.body.size(), 12345u);
}

TEST(SupportSmoke, TcpClientSplitsPipelinedResponses) {
  FakeBackend backend("alpha");
  TcpClient client(backend.port());

  ASSERT_TRUE(client.send(keepAliveGet("/?size=10") + keepAliveGet("/?chunked=1&size=20") +
                          keepAliveGet("/?size=30")));
  const HttpResponse first = client.readResponse();
  const HttpResponse second = client.readResponse();
  const HttpResponse third = client.readResponse();

  ASSERT_TRUE(first.ok()) << first.error;
  ASSERT_TRUE(second.ok()) << second.error;
  ASSERT_TRUE(third.ok()) << third.error;
  EXPECT_EQ(first.body.size(), 10u);
  EXPECT_EQ(second.body.size(), 20u);
  EXPECT_EQ(third.body.size(), 30u);
  EXPECT_TRUE(client.buffered().empty());
}

TEST(SupportSmoke, TcpClientReadsNoBodyAfterHead) {
  FakeBackend backend("alpha");
  TcpClient client(backend.port());

  ASSERT_TRUE(client.send("HEAD /?size=100 HTTP/1.1\r\nHost: fake\r\n\r\n" +
                          keepAliveGet("/?size=5")));
  const HttpResponse head = client.readResponse(kDefaultTimeout, /*requestWasHead=*/true);
  const HttpResponse get = client.readResponse();

  ASSERT_TRUE(head.ok()) << head.error;
  EXPECT_TRUE(head.body.empty());
  ASSERT_TRUE(get.ok()) << get.error;
  EXPECT_EQ(get.body.size(), 5u);
}

TEST(SupportSmoke, TcpClientSeesCloseAfterConnectionClose) {
  FakeBackend backend("alpha");
  TcpClient client(backend.port());

  ASSERT_TRUE(client.send(formatRequest("GET", "/", backend.port())));
  ASSERT_TRUE(client.readResponse().ok());

  EXPECT_TRUE(client.isClosedByPeer());
  EXPECT_TRUE(client.buffered().empty());
}

TEST(SupportSmoke, TcpClientReportsBodyCutShort) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpGet(backend.port(), "/?size=1000&close_after=10");

  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("closed"), std::string::npos) << response.error;
}

TEST(SupportSmoke, TcpClientTimesOutWhenNoResponseComes) {
  FakeBackend backend("alpha");

  const HttpResponse response = httpGet(backend.port(), "/?noresponse=1", {}, 200ms);

  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("timed out"), std::string::npos) << response.error;
}

// --- the response parser on its own -----------------------------------------------------------

ResponseParse parseAll(std::string_view bytes, bool head = false, bool closed = true) {
  return parseResponse(bytes, head, closed);
}

TEST(SupportSmoke, ParserRejectsBareLfInHead) {
  const ResponseParse parse = parseAll("HTTP/1.1 200 OK\nContent-Length: 0\n\n");

  EXPECT_EQ(parse.outcome, ResponseParse::Outcome::Error);
  EXPECT_NE(parse.error.find("bare LF"), std::string::npos) << parse.error;
}

TEST(SupportSmoke, ParserRejectsContentLengthWithTransferEncoding) {
  const ResponseParse parse = parseAll(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

  EXPECT_EQ(parse.outcome, ResponseParse::Outcome::Error);
}

TEST(SupportSmoke, ParserRejectsConflictingContentLengths) {
  const ResponseParse parse =
      parseAll("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");

  EXPECT_EQ(parse.outcome, ResponseParse::Outcome::Error);
}

TEST(SupportSmoke, ParserReadsChunkExtensionsAndTrailers) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Sum: 13\r\n\r\nNEXT";

  const ResponseParse parse = parseAll(bytes, false, false);

  ASSERT_EQ(parse.outcome, ResponseParse::Outcome::Complete) << parse.error;
  EXPECT_EQ(parse.response.body, "abc0123456789");
  EXPECT_EQ(parse.response.chunkSizes, (std::vector<std::size_t>{3, 10}));
  EXPECT_EQ(parse.response.trailers.value("x-sum"), "13");
  EXPECT_EQ(parse.consumed, bytes.size() - 4);
}

TEST(SupportSmoke, ParserGivesNoBodyTo204And304And1xx) {
  for (const char* status : {"204 No Content", "304 Not Modified", "100 Continue"}) {
    const std::string bytes = std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 5\r\n\r\n";
    const ResponseParse parse = parseAll(bytes + "HTTP/1.1 200 OK\r\n", false, false);

    ASSERT_EQ(parse.outcome, ResponseParse::Outcome::Complete) << status << ": " << parse.error;
    EXPECT_EQ(parse.consumed, bytes.size()) << status;
    EXPECT_TRUE(parse.response.body.empty()) << status;
  }
}

TEST(SupportSmoke, ParserEndsBodyWithoutLengthAtClose) {
  const std::string bytes = "HTTP/1.0 200 OK\r\n\r\nuntil the end";

  EXPECT_EQ(parseAll(bytes, false, false).outcome, ResponseParse::Outcome::NeedMore);
  const ResponseParse parse = parseAll(bytes, false, true);

  ASSERT_EQ(parse.outcome, ResponseParse::Outcome::Complete);
  EXPECT_EQ(parse.response.framing, BodyFraming::UntilClose);
  EXPECT_EQ(parse.response.body, "until the end");
  EXPECT_EQ(parse.response.version, "HTTP/1.0");
}

TEST(SupportSmoke, ParserAsksForTheWholeContentLengthBody) {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";

  const ResponseParse parse = parseAll(head + "abc", false, false);

  EXPECT_EQ(parse.outcome, ResponseParse::Outcome::NeedMore);
  EXPECT_EQ(parse.needAtLeast, head.size() + 100);
}

// --- processes, temp dirs and configs ---------------------------------------------------------

TEST(SupportSmoke, RunCommandCollectsExitCodeAndOutput) {
  const CommandResult result = runCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});

  EXPECT_EQ(result.exitCode, 3);
  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(SupportSmoke, RunCommandReportsMissingProgram) {
  const CommandResult result = runCommand({"/nonexistent/program"});

  EXPECT_EQ(result.exitCode, -1);
  EXPECT_FALSE(result.err.empty());
}

TEST(SupportSmoke, RunCommandKillsCommandThatOutlivesTimeout) {
  const CommandResult result = runCommand({"sleep", "30"}, 100ms);

  EXPECT_TRUE(result.timedOut);
}

TEST(SupportSmoke, ProcessPassesExtraEnvironment) {
  const CommandResult result = runCommand({"sh", "-c", "echo $WEIR_SMOKE"}, 10s,
                                          {{"WEIR_SMOKE", "from the test"}});

  EXPECT_EQ(result.out, "from the test\n");
}

TEST(SupportSmoke, ProcessWaitsForALineMatchingARegex) {
  Process process({"sh", "-c", "echo starting >&2; echo 'port=4242' >&2; exec sleep 30"});

  const auto match = process.waitForOutput(std::regex("port=([0-9]+)"), Stream::Stderr);

  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->line, "port=4242");
  EXPECT_EQ(match->groups.at(1), "4242");
}

TEST(SupportSmoke, ProcessStopsWaitingForOutputWhenChildExits) {
  Process process({"sh", "-c", "echo bye; exit 0"});

  const auto start = std::chrono::steady_clock::now();
  const auto line = process.waitForOutput("never printed", Stream::Stdout, 10s);

  EXPECT_FALSE(line.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(SupportSmoke, ProcessReportsTheSignalThatEndedIt) {
  Process process({"sleep", "30"});

  ASSERT_TRUE(process.signal(SIGKILL));

  EXPECT_EQ(process.waitExit(), 128 + SIGKILL);
  EXPECT_EQ(process.exitSignal(), SIGKILL);
  EXPECT_FALSE(process.signal(SIGTERM));
}

TEST(SupportSmoke, ProcessDestructorEndsTheChild) {
  pid_t pid = 0;
  {
    Process process({"sleep", "30"});
    pid = process.pid();
  }

  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(SupportSmoke, TempDirIsRemovedAtTheEnd) {
  std::filesystem::path file;
  {
    TempDir dir;
    file = dir.writeFile("sub/a.txt", "text");
    EXPECT_EQ(readFileText(file), "text");
  }

  EXPECT_FALSE(std::filesystem::exists(file.parent_path().parent_path()));
}

TEST(SupportSmoke, SimpleConfigNamesServersInOrder) {
  const std::string yaml =
      simpleConfig({"127.0.0.1:1001", "127.0.0.1:1002"}, "balance: leastconn", "retries: 2");

  EXPECT_NE(yaml.find("{ name: s1, address: \"127.0.0.1:1001\" }"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("{ name: s2, address: \"127.0.0.1:1002\" }"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n    balance: leastconn\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  retries: 2\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("connect: 1s"), std::string::npos) << yaml;
  EXPECT_EQ(frontendNames(yaml), std::vector<std::string>{"fe"});
}

TEST(SupportSmoke, SimpleConfigTakesTimeoutsFromExtraDefaults) {
  const std::string yaml = simpleConfig({"127.0.0.1:1001"}, "", "timeout:\n  server: 200ms");

  EXPECT_EQ(yaml.find("connect: 1s"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  timeout:\n    server: 200ms\n"), std::string::npos) << yaml;
}

TEST(SupportSmoke, FrontendNamesAreTheKeysUnderFrontends) {
  const std::string yaml =
      "global:\n  threads: 1\n"
      "frontends:\n"
      "  # a comment\n"
      "  web:\n    bind: [\"127.0.0.1:0\"]\n    acl:\n      api: path_beg /api\n"
      "  \"admin\":\n    bind: [\"127.0.0.1:0\"]\n"
      "backends:\n  be:\n    servers: []\n";

  EXPECT_EQ(frontendNames(yaml), (std::vector<std::string>{"web", "admin"}));
}

}  // namespace
}  // namespace weir::test
