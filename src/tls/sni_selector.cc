#include "weir/tls/sni_selector.h"

#include <algorithm>
#include <cctype>

namespace weir::tls {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

void SniSelector::add(const std::vector<std::string>& names, size_t index) {
  for (const std::string& name : names) {
    const std::string n = lower(name);
    if (n.starts_with("*.")) wildcard_.try_emplace(n.substr(2), index);
    else exact_.try_emplace(n, index);
  }
}

size_t SniSelector::select(std::string_view serverName) const {
  if (serverName.empty()) return 0;
  const std::string name = lower(serverName);
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return 0;
  if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return it->second;
  return 0;
}

}  // namespace weir::tls
