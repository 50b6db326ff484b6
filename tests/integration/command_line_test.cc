// Issue points 3 and 5, end to end: the weir binary's command line (-f, -c, --version, -h),
// its start-up log (workers, event method), global.maxconn, and stopping on SIGTERM.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

#ifndef WEIR_BINARY
#error "WEIR_BINARY must be defined (tests/CMakeLists.txt does it)"
#endif

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// simpleConfig with `global.threads: 1` replaced by `globalYaml` (unindented).
std::string configWithGlobal(const std::vector<std::string>& servers, const std::string& globalYaml) {
  std::string yaml = simpleConfig(servers);
  const std::string threadsLine = "  threads: 1\n";
  const std::size_t at = yaml.find(threadsLine);
  if (at == std::string::npos) {
    ADD_FAILURE() << "simpleConfig changed shape:\n" << yaml;
    return yaml;
  }
  return yaml.replace(at, threadsLine.size(), indentYaml(globalYaml, 2));
}

/// "MAJOR.MINOR.PATCH", each a decimal number.
bool isDottedVersion(std::string_view text) {
  int parts = 0;
  while (true) {
    const std::size_t dot = text.find('.');
    const std::string_view part = text.substr(0, dot);
    if (part.empty() || !std::all_of(part.begin(), part.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) return parts == 3;
    text.remove_prefix(dot + 1);
  }
}

CommandResult runWeir(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_BINARY);
  return runCommand(std::move(args), 10s);
}

// A server weight of 0 on line 10; the column of the value is computed below.
constexpr const char* kInvalidConfig =
    "global:\n"
    "  threads: 1\n"
    "frontends:\n"
    "  fe:\n"
    "    bind: [\"127.0.0.1:0\"]\n"
    "    default_backend: be\n"
    "backends:\n"
    "  be:\n"
    "    servers:\n"
    "      - { name: s1, address: \"127.0.0.1:1\", weight: 0 }\n";

class CommandLine : public ::testing::Test {};

// --- weir -c -f FILE -----------------------------------------------------------------------

TEST_F(CommandLine, CheckSaysValidConfigIsValid) {
  const WeirCheck check = WeirInstance::check(simpleConfig({"127.0.0.1:1"}));

  EXPECT_EQ(check.exitCode, 0) << check.output;
  EXPECT_NE(check.output.find("configuration is valid"), std::string::npos) << check.output;
}

TEST_F(CommandLine, CheckReportsErrorWithFileLineColumnAndKeyPath) {
  const std::string badLine = "      - { name: s1, address: \"127.0.0.1:1\", weight: 0 }";
  const std::size_t valueColumn = badLine.find("weight: 0") + std::string("weight: ").size() + 1;  // 1-based

  const WeirCheck check = WeirInstance::check(kInvalidConfig);

  EXPECT_EQ(check.exitCode, 1) << check.output;
  EXPECT_EQ(check.output.find("configuration is valid"), std::string::npos) << check.output;
  const std::string key = ": backends.be.servers[0].weight: ";
  const std::size_t keyAt = check.output.find(key);
  ASSERT_NE(keyAt, std::string::npos) << check.output;
  const std::size_t lineStart = check.output.rfind('\n', keyAt) + 1;  // npos + 1 == 0
  // "PATH/weir.yaml:LINE:COLUMN" before the key path.
  const std::string location = check.output.substr(lineStart, keyAt - lineStart);
  const std::size_t fileEnd = location.find("weir.yaml:");
  ASSERT_NE(fileEnd, std::string::npos) << location;
  EXPECT_EQ(location.substr(fileEnd + std::string("weir.yaml:").size()), "10:" + std::to_string(valueColumn))
      << check.output;
  const std::size_t messageEnd = check.output.find('\n', keyAt);
  EXPECT_GT(messageEnd - keyAt, key.size()) << "no message after the key path: " << check.output;
}

TEST_F(CommandLine, CheckDoesNotStartTheProxy) {
  TempDir dir;
  const auto path = dir.writeFile("weir.yaml", simpleConfig({"127.0.0.1:1"}));

  const CommandResult result = runWeir({"-c", "-f", path.string()});

  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(result.err.find("listening"), std::string::npos) << result.err;
}

TEST_F(CommandLine, CheckOfMissingFileFailsWithExitCode1) {
  TempDir dir;
  const std::string missing = dir.filePath("absent.yaml").string();

  const CommandResult result = runWeir({"-c", "-f", missing});

  EXPECT_EQ(result.exitCode, 1) << result.out << result.err;
  EXPECT_NE((result.out + result.err).find("absent.yaml"), std::string::npos) << result.out << result.err;
}

TEST_F(CommandLine, RunRefusesInvalidConfigWithExitCode1) {
  TempDir dir;
  const auto path = dir.writeFile("weir.yaml", kInvalidConfig);

  const CommandResult result = runWeir({"-f", path.string()});

  EXPECT_EQ(result.exitCode, 1) << result.err;
  EXPECT_NE(result.err.find("backends.be.servers[0].weight"), std::string::npos) << result.err;
}

// --- --version, -h, no -f ------------------------------------------------------------------

TEST_F(CommandLine, VersionPrintsNameAndVersion) {
  const CommandResult result = runWeir({"--version"});

  EXPECT_EQ(result.exitCode, 0) << result.err;
  const std::string text = result.out + result.err;
  ASSERT_EQ(text.rfind("weir ", 0), 0u) << text;
  const std::string version = text.substr(5, text.find_first_of(" \n", 5) - 5);
  EXPECT_TRUE(isDottedVersion(version)) << text;
}

TEST_F(CommandLine, HelpPrintsUsageWithConfigAndCheckOptions) {
  const CommandResult result = runWeir({"-h"});

  EXPECT_EQ(result.exitCode, 0) << result.err;
  const std::string text = result.out + result.err;
  EXPECT_NE(text.find("Usage"), std::string::npos) << text;
  EXPECT_NE(text.find("-f"), std::string::npos) << text;
  EXPECT_NE(text.find("-c"), std::string::npos) << text;
}

TEST_F(CommandLine, RefusesToRunWithoutConfigFile) {
  const CommandResult result = runWeir({});

  EXPECT_FALSE(result.timedOut);
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("-f"), std::string::npos) << result.err;
}

// --- start-up log and workers --------------------------------------------------------------

TEST_F(CommandLine, LogsEpollAndWorkerCountAtStart) {
  FakeBackend backend("alpha");

  WeirInstance weir(configWithGlobal({backend.address()}, "threads: 3"));

  const auto line = weir.waitForLog("workers=");
  ASSERT_TRUE(line.has_value()) << weir.log();
  EXPECT_NE(line->find("workers=3"), std::string::npos) << *line;
  EXPECT_NE(line->find("event_method=epoll"), std::string::npos) << *line;
}

TEST_F(CommandLine, ServesConcurrentClientsWithThreeWorkers) {
  FakeBackend backend("alpha");
  WeirInstance weir(configWithGlobal({backend.address()}, "threads: 3"));
  std::vector<TcpClient> clients;
  for (int i = 0; i < 12; ++i) clients.emplace_back(weir.port());

  for (std::size_t i = 0; i < clients.size(); ++i) {
    ASSERT_TRUE(clients[i].send(formatRequest("GET", "/w" + std::to_string(i), weir.port())));
  }

  for (std::size_t i = 0; i < clients.size(); ++i) {
    const HttpResponse response = clients[i].readResponse();
    EXPECT_EQ(response.status, 200) << i << ": " << response.describe();
  }
}

// --- global.maxconn ------------------------------------------------------------------------

TEST_F(CommandLine, MaxconnPausesAcceptAtTheLimitAndResumesBelowIt) {
  FakeBackend backend("alpha");
  WeirInstance weir(configWithGlobal({backend.address()}, "threads: 1\nmaxconn: 2"));
  TcpClient first(weir.port());
  TcpClient second(weir.port());
  ASSERT_TRUE(first.isConnected() && second.isConnected());
  ASSERT_TRUE(weir.waitForLog("accepting paused").has_value()) << weir.log();
  TcpClient third(weir.port());  // the kernel completes it; weir does not take it
  ASSERT_TRUE(third.send(formatRequest("GET", "/third", weir.port()))) << third.error();

  const HttpResponse whileFull = third.readResponse(500ms);

  EXPECT_FALSE(whileFull.ok()) << "served past maxconn: " << whileFull.describe();
  first.close();
  const HttpResponse afterClose = third.readResponse();
  ASSERT_TRUE(afterClose.ok()) << afterClose.error;
  EXPECT_EQ(afterClose.status, 200);
}

TEST(CommandLineDiff, CheckWithDiffAgainstPrintsWhatAReloadWouldChange) {
  TempDir dir;
  const std::string old = dir.writeFile("old.yaml", simpleConfig({"127.0.0.1:9001", "127.0.0.1:9002"})).string();
  const std::string same = dir.writeFile("same.yaml", simpleConfig({"127.0.0.1:9001", "127.0.0.1:9002"})).string();
  const std::string next = dir.writeFile("new.yaml", simpleConfig({"127.0.0.1:9001", "127.0.0.1:9003"}, "balance: leastconn")).string();
  CommandResult r = runWeir({"-c", "-f", next, "--diff-against", old});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("configuration is valid\nchanges from " + old + ":\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  ~ backend be: balance roundrobin -> leastconn\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  ~ server be/s2: address 127.0.0.1:9002 -> 127.0.0.1:9003\n"), std::string::npos) << r.out;
  r = runWeir({"-c", "-f", same, "--diff-against", old});
  EXPECT_NE(r.out.find("no changes from " + old), std::string::npos) << r.out;
  const std::string broken = dir.writeFile("broken.yaml", "frontends: {}\n").string();
  r = runWeir({"-c", "-f", broken, "--diff-against", old});
  EXPECT_EQ(r.exitCode, 1) << "an invalid new config is reported, not diffed: " << r.out;
}

// --- signals -------------------------------------------------------------------------------

TEST_F(CommandLine, SigtermStopsWeirWithExitCode0) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}));
  const std::uint16_t port = weir.port();
  ASSERT_EQ(httpGet(port, "/").status, 200);

  const std::optional<int> exitCode = weir.stop(5s);

  ASSERT_TRUE(exitCode.has_value()) << "weir did not stop within 5s of SIGTERM";
  EXPECT_EQ(*exitCode, 0);
  EXPECT_FALSE(TcpClient(port, 1s).isConnected());
}

}  // namespace
}  // namespace weir::test
