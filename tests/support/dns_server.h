#pragma once
// A name server on 127.0.0.1 for the DNS discovery tests: Debian's dnsmasq, started by the test
// with a hosts file of its own and authoritative for `weir.test` (a name it does not list is
// NXDOMAIN, never asked upstream). The test changes the answer with setHosts().

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace weir::test {

class DnsServer {
 public:
  /// `hosts`: lines of a hosts file ("127.0.0.11 app.weir.test"). Returns once dnsmasq
  /// answers; throws std::runtime_error (with its output) when it does not start.
  explicit DnsServer(const std::vector<std::string>& hosts);
  /// Replaces the answers; returns once dnsmasq has read them (SIGHUP).
  void setHosts(const std::vector<std::string>& hosts);
  /// "127.0.0.1:PORT", for `global.resolvers`.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  /// Whether dnsmasq (Debian's dnsmasq-base) is installed.
  static bool available();

 private:
  void writeHosts(const std::vector<std::string>& hosts);

  TempDir dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace weir::test
