// Values shared by several sections: names of frontends, backends and servers; addresses.

#include <algorithm>
#include <cctype>

#include "sections.h"

namespace weir::config {

std::optional<std::string> nameError(const std::string& name) {
  const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
  if (valid) return std::nullopt;
  return "'" + name + "' is not a valid name (use letters, digits, '-', '_', '.', ':')";
}

namespace {

/// "host:port" checked for `use`; nullopt (reported) when it is not one.
std::optional<net::HostPort> readHostPort(const YamlCursor& value, AddressUse use, std::string* text) {
  std::optional<std::string> written = value.readString();
  if (!written) return std::nullopt;
  *text = *written;
  std::string failure;
  std::optional<net::HostPort> host_port = net::splitHostPort(*written, &failure);
  if (!host_port) {
    value.error("invalid address '" + *written + "': " + failure);
    return std::nullopt;
  }
  if (use == AddressUse::kServer && host_port->host.empty()) {
    value.error("invalid address '" + *written + "': a server needs a host");
    return std::nullopt;
  }
  if (use == AddressUse::kServer && host_port->port == 0) {
    value.error("invalid address '" + *written + "': a server needs a port other than 0");
    return std::nullopt;
  }
  return host_port;
}

}  // namespace

std::optional<net::Address> readAddress(const YamlCursor& value, AddressUse use, std::string* text) {
  const std::optional<net::HostPort> host_port = readHostPort(value, use, text);
  if (!host_port) return std::nullopt;
  std::string failure;
  std::optional<net::Address> address = net::resolve(*host_port, &failure);
  if (!address) value.error(failure);
  return address;
}

std::optional<net::HostPort> readServerHostPort(const YamlCursor& value, std::string* text) {
  return readHostPort(value, AddressUse::kServer, text);
}

}  // namespace weir::config
