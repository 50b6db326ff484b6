#include "fake_backend.h"

#include <arpa/inet.h>
#include <event2/util.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>

namespace weir::fake {
namespace {

uint16_t portOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

void setPort(sockaddr_storage& address, uint16_t port) {
  if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  }
}

std::string formatAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  bool v6 = address.ss_family == AF_INET6;
  const void* raw = v6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr)
                       : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&address)->sin_addr);
  evutil_inet_ntop(address.ss_family, raw, host, sizeof host);
  return v6 ? fmt::format("[{}]:{}", host, portOf(address)) : fmt::format("{}:{}", host, portOf(address));
}

/// "HOST:PORT" or "[V6HOST]:PORT" with a numeric host; port 0 allowed (libevent's own parser
/// rejects it).
bool parseListenAddress(const std::string& text, sockaddr_storage& address, int& length) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return false;
  }
  address = {};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    length = sizeof *v6;
    if (evutil_inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) != 1) {
      return false;
    }
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    length = sizeof *v4;
    if (evutil_inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return false;
  }
  setPort(address, static_cast<uint16_t>(std::stoi(port)));
  return true;
}

}  // namespace

std::string FakeBackend::start(const FakeBackendOptions& options) {
  std::string error = configure(options);
  if (error.empty()) error = bindWorkers(options);
  if (!error.empty()) {
    workers_.clear();
    return error;
  }
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) return "pipe2 failed";
  stopReader_ = FileDescriptor(fds[0]);
  stopWriter_ = FileDescriptor(fds[1]);
  for (auto& worker : workers_) {
    if (!worker->start(stopReader_.get())) {
      stop();
      return "cannot start worker loop";
    }
  }
  return {};
}

std::string FakeBackend::configure(const FakeBackendOptions& options) {
  shared_.name = options.name;
  shared_.defaultBody = options.name + "\n";
  shared_.idleTimeout = std::chrono::milliseconds(options.idleTimeoutMs);
  for (const std::string& route : options.routes) {
    std::string error = shared_.routes.add(route);
    if (!error.empty()) return error;
  }
  if (!options.recordPath.empty()) {
    std::string error;
    shared_.recorder = RequestRecorder::open(options.recordPath, error);
    if (!shared_.recorder) return error;
  }
  return {};
}

std::string FakeBackend::bindWorkers(const FakeBackendOptions& options) {
  sockaddr_storage address{};
  int length = 0;
  if (!parseListenAddress(options.listen, address, length)) {
    return fmt::format("--listen '{}': expected HOST:PORT", options.listen);
  }
  bool reusePort = options.threads > 1;
  for (int i = 0; i < options.threads; ++i) {
    std::string error;
    auto worker = Worker::create(shared_, reinterpret_cast<sockaddr*>(&address), length, reusePort, error);
    if (!worker) return fmt::format("--listen {}: {}", formatAddress(address), error);
    if (i == 0) {  // the rest bind the port the kernel picked for the first
      sockaddr_storage bound{};
      socklen_t boundLength = 0;
      if (!worker->boundAddress(bound, boundLength)) return "getsockname failed";
      setPort(address, portOf(bound));
      address_ = formatAddress(bound);
    }
    workers_.push_back(std::move(worker));
  }
  return {};
}

void FakeBackend::stop() {
  stopWriter_.reset();  // every worker's stop event fires on the EOF
  for (auto& worker : workers_) worker->join();
  workers_.clear();
  stopReader_.reset();
}

}  // namespace weir::fake
