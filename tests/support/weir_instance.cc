#include "support/weir_instance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#ifndef WEIR_BINARY
#error "WEIR_BINARY must be defined (tests/CMakeLists.txt does it)"
#endif

#include "support/header_list.h"

namespace weir::test {

namespace {

constexpr std::chrono::seconds kStartTimeout{10};
constexpr std::size_t kLogTailLines = 60;

std::size_t indentation(std::string_view line) {
  const std::size_t first = line.find_first_not_of(' ');
  return first == std::string_view::npos ? line.size() : first;
}

bool isBlankOrComment(std::string_view line) {
  const std::string_view content = trimWhitespace(line);
  return content.empty() || content.front() == '#';
}

std::string unquote(std::string_view key) {
  key = trimWhitespace(key);
  if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') && key.back() == key.front()) {
    key = key.substr(1, key.size() - 2);
  }
  return std::string(key);
}

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::vector<FrontendAddress> listeningLines(const std::string& log) {
  static const std::regex kPattern(R"(listening frontend=(\S+) address=(\S+):([0-9]+)( tls)?)");
  std::vector<FrontendAddress> found;
  for (const std::string& line : splitLines(log)) {
    std::smatch match;
    if (!std::regex_search(line, match, kPattern)) {
      continue;
    }
    FrontendAddress address{match[1].str(), match[2].str(),
                            static_cast<std::uint16_t>(std::stoul(match[3].str())), match[4].matched};
    const bool seen = std::any_of(found.begin(), found.end(), [&](const FrontendAddress& a) {
      return a.frontend == address.frontend && a.host == address.host && a.port == address.port;
    });
    if (!seen) {
      found.push_back(std::move(address));
    }
  }
  return found;
}

}  // namespace

std::vector<std::string> frontendNames(std::string_view yaml) {
  std::vector<std::string> names;
  bool inFrontends = false;
  bool statsListener = false;
  std::size_t childIndent = 0;
  for (const std::string& line : splitLines(yaml)) {
    if (isBlankOrComment(line)) {
      continue;
    }
    const std::size_t indent = indentation(line);
    if (indent == 0) {
      inFrontends = line.rfind("frontends:", 0) == 0;
      childIndent = 0;
      if (line.rfind("stats:", 0) == 0) statsListener = true;
      continue;
    }
    if (!inFrontends) {
      continue;
    }
    if (childIndent == 0) {
      childIndent = indent;
    }
    const std::size_t colon = line.find(':');
    if (indent == childIndent && colon != std::string::npos) {
      names.push_back(unquote(std::string_view(line).substr(indent, colon - indent)));
    }
  }
  // The stats listener is a frontend of its own, named "stats" (or "weir-stats" when taken).
  if (statsListener) names.push_back(std::find(names.begin(), names.end(), "stats") == names.end() ? "stats" : "weir-stats");
  return names;
}

WeirInstance::WeirInstance(std::string yaml, const Environment& extraEnv,
                           std::vector<std::string> extraArgs)
    : configPath_(dir_.writeFile("weir.yaml", yaml)) {
  std::vector<std::string> argv = {WEIR_BINARY, "-f", configPath_.string()};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  process_ = std::make_unique<Process>(std::move(argv), extraEnv);
  // A test that ends with connections open must not wait for a graceful stop: SIGINT stops at
  // once (stop() still sends SIGTERM).
  process_->setStopSignal(SIGINT);
  waitUntilListening(yaml);
}

WeirInstance::~WeirInstance() {
  if (::testing::Test::HasFailure()) {
    printLogTail();
  }
}

void WeirInstance::waitUntilListening(const std::string& yaml) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (const std::string& name : frontendNames(yaml)) {
    const std::string expected = "listening frontend=" + name + " address=";
    if (!process_->waitForOutput(expected, Stream::Stderr, remainingUntil(deadline))) {
      const bool exited = process_->hasExited();
      process_->kill();
      throw std::runtime_error("weir " + std::string(exited ? "exited" : "did not log") +
                               " before '" + expected + "'; its stderr:\n" + log());
    }
  }
  listeners_ = listeningLines(log());
}

std::uint16_t WeirInstance::port(std::string_view frontend) const {
  for (const FrontendAddress& listener : listeners_) {
    if (frontend.empty() || listener.frontend == frontend) {
      return listener.port;
    }
  }
  ADD_FAILURE() << "weir logged no listening address for frontend '" << frontend << "'";
  return 0;
}

std::uint16_t WeirInstance::tlsPort(std::string_view frontend) const {
  for (const FrontendAddress& listener : listeners_) {
    if (listener.tls && (frontend.empty() || listener.frontend == frontend)) return listener.port;
  }
  ADD_FAILURE() << "weir logged no TLS listening address for frontend '" << frontend << "'";
  return 0;
}

std::optional<std::string> WeirInstance::waitForLog(std::string_view substring,
                                                    std::chrono::milliseconds timeout,
                                                    std::size_t from) {
  return process_->waitForOutput(substring, Stream::Stderr, timeout, from);
}

std::optional<std::string> WeirInstance::waitForAccessLog(std::string_view substring,
                                                          std::chrono::milliseconds timeout,
                                                          std::size_t from) {
  return process_->waitForOutput(substring, Stream::Stdout, timeout, from);
}

std::size_t WeirInstance::rssKiB() const {
  std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6));
    }
  }
  return 0;
}

void WeirInstance::rewriteConfig(std::string_view yaml) {
  // Write then rename, so weir never reads a half-written file.
  const std::filesystem::path next = dir_.writeFile("weir.yaml.next", yaml);
  std::filesystem::rename(next, configPath_);
}

std::optional<int> WeirInstance::stop(std::chrono::milliseconds timeout) {
  process_->signal(SIGTERM);
  if (auto code = process_->waitExit(timeout)) {
    return code;
  }
  process_->kill();
  return std::nullopt;
}

void WeirInstance::printLogTail() const {
  const std::vector<std::string> lines = splitLines(log());
  const std::size_t first = lines.size() > kLogTailLines ? lines.size() - kLogTailLines : 0;
  std::cerr << "---- weir stderr (pid " << pid() << ", last " << lines.size() - first
            << " lines) ----\n";
  for (std::size_t i = first; i < lines.size(); ++i) {
    std::cerr << lines[i] << '\n';
  }
  std::cerr << "---- end of weir stderr ----\n";
}

WeirCheck WeirInstance::check(std::string_view yaml, const Environment& extraEnv) {
  TempDir dir;
  const std::filesystem::path path = dir.writeFile("weir.yaml", yaml);
  const CommandResult result =
      runCommand({WEIR_BINARY, "-c", "-f", path.string()}, std::chrono::seconds(30), extraEnv);
  return {result.exitCode, result.out + result.err};
}

}  // namespace weir::test
