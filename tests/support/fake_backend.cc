#include "support/fake_backend.h"

#include <gtest/gtest.h>

#include <cctype>
#include <regex>
#include <stdexcept>
#include <string_view>

#include "support/http_get.h"

#ifndef FAKE_BACKEND_BINARY
#error "FAKE_BACKEND_BINARY must be defined (tests/CMakeLists.txt does it)"
#endif

namespace weir::test {

namespace {

constexpr std::chrono::seconds kStartTimeout{10};

/// The number after `key` in the stats body, whether it is JSON ("key": 1) or text (key=1).
std::uint64_t statsField(const std::string& body, const std::string& key) {
  const std::regex pattern("(^|[^A-Za-z_])\"?" + key + "\"?\\s*[:=]\\s*([0-9]+)");
  std::smatch match;
  return std::regex_search(body, match, pattern) ? std::stoull(match[2].str()) : 0;
}

/// %-encodes everything but RFC 3986 unreserved characters (and '/', harmless in a query):
/// '=' -> %3D, '&' -> %26, '%' -> %25, ' ' -> %20, ...
std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 15]};
    }
  }
  return out;
}

}  // namespace

FakeBackend::FakeBackend(std::string name, FakeBackendOptions options)
    : name_(std::move(name)), options_(std::move(options)), port_(options_.port) {
  start();
}

FakeBackend::~FakeBackend() = default;
FakeBackend::FakeBackend(FakeBackend&&) noexcept = default;
FakeBackend& FakeBackend::operator=(FakeBackend&&) noexcept = default;

std::string FakeBackend::address() const { return options_.host + ":" + std::to_string(port_); }

std::vector<std::string> FakeBackend::commandLine(std::uint16_t port,
                                                  const std::string& recordFile) const {
  std::vector<std::string> argv = {FAKE_BACKEND_BINARY, "--name",   name_,
                                   "--listen",          options_.host + ":" + std::to_string(port),
                                   "--record",          recordFile};
  if (options_.threads > 0) {
    argv.insert(argv.end(), {"--threads", std::to_string(options_.threads)});
  }
  for (const std::string& route : options_.routes) {
    argv.insert(argv.end(), {"--route", route});
  }
  if (options_.idleTimeoutMs > 0) {
    argv.insert(argv.end(), {"--idle-timeout", std::to_string(options_.idleTimeoutMs)});
  }
  return argv;
}

void FakeBackend::start() {
  if (isRunning()) {
    return;
  }
  ++starts_;
  const std::string recordFile = dir_.filePath("record-" + std::to_string(starts_)).string();
  process_ = std::make_unique<Process>(commandLine(port_, recordFile));
  static const std::regex kListening(R"(^listening [0-9.]+:([0-9]+)$)");
  const auto match = process_->waitForOutput(kListening, Stream::Stdout, kStartTimeout);
  if (!match) {
    const std::string stderrText = process_->stderrText();
    process_->kill();
    throw std::runtime_error("fake backend " + name_ + " did not start listening; stderr:\n" +
                             stderrText);
  }
  port_ = static_cast<std::uint16_t>(std::stoul(match->groups[1]));
}

std::size_t FakeBackend::countTarget(std::string_view prefix) const {
  std::size_t n = 0;
  for (const RecordedRequest& r : records()) n += r.target.starts_with(prefix) ? 1 : 0;
  return n;
}

std::vector<RecordedRequest> FakeBackend::records() const {
  std::vector<RecordedRequest> all;
  for (int start = 1; start <= starts_; ++start) {
    auto some = parseRecords(readFileText(dir_.filePath("record-" + std::to_string(start))));
    all.insert(all.end(), std::make_move_iterator(some.begin()),
               std::make_move_iterator(some.end()));
  }
  return all;
}

bool FakeBackend::waitForRecords(std::size_t count, std::chrono::milliseconds timeout) {
  return waitFor([&] { return records().size() >= count; }, timeout);
}

FakeBackendStats FakeBackend::stats(std::chrono::milliseconds timeout) const {
  const HttpResponse response = httpGet(port_, "/__fake/stats", {}, timeout);
  if (!response.ok() || response.status != 200) {
    ADD_FAILURE() << "fake backend " << name_ << ": GET /__fake/stats failed: "
                  << response.describe();
    return {};
  }
  return {statsField(response.body, "connections"), statsField(response.body, "requests"),
          statsField(response.body, "open")};
}

void FakeBackend::setRoute(const std::string& path, const std::string& spec) {
  const HttpResponse response =
      httpGet(port_, "/__fake/route?path=" + percentEncode(path) + "&spec=" + percentEncode(spec));
  if (!response.ok() || response.status != 200) {
    ADD_FAILURE() << "fake backend " << name_ << ": setting route " << path << " to '" << spec
                  << "' failed: " << response.describe() << " " << response.body;
  }
}

std::vector<std::string> addressesOf(const std::vector<FakeBackend>& backends) {
  std::vector<std::string> addresses;
  for (const FakeBackend& backend : backends) {
    addresses.push_back(backend.address());
  }
  return addresses;
}

void FakeBackend::stop() {
  if (process_) {
    process_->terminate();
  }
}

void FakeBackend::kill() {
  if (process_) {
    process_->kill();
  }
}

}  // namespace weir::test
