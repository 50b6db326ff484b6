#pragma once
// Which certificate answers a TLS client's server name (SNI): an exact name first, then a
// wildcard covering exactly one label ("*.example.com" matches "a.example.com", not
// "example.com" nor "a.b.example.com"), else the first certificate (the default, also for
// clients that send no name). Names compare case-insensitively. Immutable once built.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weir::tls {

class SniSelector {
 public:
  /// Certificate `index` answers for `names` (as certificateNames() gives them); the first
  /// certificate to claim a name keeps it.
  void add(const std::vector<std::string>& names, size_t index);
  /// The certificate for `serverName` ("" when the client sent none): 0 when nothing matches.
  size_t select(std::string_view serverName) const;

 private:
  std::unordered_map<std::string, size_t> exact_;
  std::unordered_map<std::string, size_t> wildcard_;  // by the domain after "*."
};

}  // namespace weir::tls
