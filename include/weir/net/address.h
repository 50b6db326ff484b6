#pragma once
// A socket address (IPv4 or IPv6) and the parsing of the address forms the config accepts:
// ":80" (all IPv4), "127.0.0.1:8080", "[::1]:8080", "host:80" (resolved with getaddrinfo).

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::net {

class Address {
 public:
  Address() = default;
  Address(const sockaddr* sa, socklen_t len);

  const sockaddr* sockaddrPtr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }
  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  void setPort(uint16_t port);
  bool valid() const { return length_ != 0; }

  /// "1.2.3.4:80" or "[::1]:80".
  std::string toString() const;
  /// The address without the port: "1.2.3.4" or "::1".
  std::string hostString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

/// host and port as written, before resolution. host is empty for ":80".
struct HostPort {
  std::string host;
  uint16_t port = 0;
};

/// Splits "host:port", "[v6]:port" or ":port". Returns an error text on failure.
std::optional<HostPort> splitHostPort(std::string_view text, std::string* error);

/// Resolves a HostPort to one address (numeric forms without DNS; names with getaddrinfo,
/// first result). An empty host means 0.0.0.0. Returns an error text on failure.
std::optional<Address> resolve(const HostPort& hp, std::string* error);

}  // namespace weir::net
