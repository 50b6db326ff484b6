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

/// A UDP port free on 127.0.0.1 just now (dnsmasq wants a number, not 0).
std::uint16_t freeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) == 0)
    port = ntohs(sin.sin_port);
  if (fd >= 0) ::close(fd);
  if (port == 0) throw std::runtime_error("no free UDP port on 127.0.0.1");
  return port;
}

}  // namespace

bool DnsServer::available() { return std::filesystem::exists(kDnsmasq); }

DnsServer::DnsServer(const std::vector<std::string>& hosts) {
  writeHosts(hosts);
  std::string output;
  for (int attempt = 0; attempt < 3; ++attempt) {  // another test may take the port meanwhile
    port_ = freeUdpPort();
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
