#include "support/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace weir::test {
namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

/// True when a socket of `type` can bind 127.0.0.1:`port` (0: any); the port it got in `port`.
bool bindsLoopback(int type, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return false;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(port);
  socklen_t len = sizeof(sin);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0;
  ::close(fd);
  if (ok) port = ntohs(sin.sin_port);
  return ok;
}

/// A port free on 127.0.0.1 just now for both UDP and TCP: dnsmasq listens on both, and wants a
/// number, not 0. The UDP port the kernel picks may be a TCP port in use (a test holding 10 000
/// connections uses most of the ephemeral range), so both are tried.
std::uint16_t freeDnsPort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::uint16_t port = 0;
    if (!bindsLoopback(SOCK_DGRAM, port)) break;
    if (bindsLoopback(SOCK_STREAM, port)) return port;
  }
  throw std::runtime_error("no port free for both UDP and TCP on 127.0.0.1");
}

}  // namespace

bool DnsServer::available() { return std::filesystem::exists(kDnsmasq); }

DnsServer::DnsServer(const std::vector<std::string>& hosts) {
  writeHosts(hosts);
  std::string output;
  for (int attempt = 0; attempt < 5; ++attempt) {  // another test may take the port meanwhile
    port_ = freeDnsPort();
    std::vector<std::string> argv = {kDnsmasq,
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--addn-hosts=" + dir_.filePath("hosts").string(),
                                     "--local=/weir.test/",
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--port=" + std::to_string(port_),
                                     "--pid-file=" + dir_.filePath("dnsmasq.pid").string(),
                                     "--log-facility=-"};
    if (::geteuid() == 0) argv.push_back("--user=root");  // else it would switch to nobody
    process_ = std::make_unique<Process>(argv);
    if (process_->waitForOutput("names", Stream::Stderr)) return;
    output = process_->stderrText();
    process_->kill();
  }
  throw std::runtime_error("dnsmasq did not start:\n" + output);
}

void DnsServer::writeHosts(const std::vector<std::string>& hosts) {
  std::ofstream out(dir_.filePath("hosts"), std::ios::trunc);
  for (const std::string& line : hosts) out << line << '\n';
}

void DnsServer::setHosts(const std::vector<std::string>& hosts) {
  writeHosts(hosts);
  const std::size_t from = process_->outputSize(Stream::Stderr);
  process_->signal(SIGHUP);
  if (!process_->waitForOutput("names", Stream::Stderr, kDefaultTimeout, from))
    throw std::runtime_error("dnsmasq did not read its hosts file again:\n" + process_->stderrText());
}

}  // namespace weir::test
