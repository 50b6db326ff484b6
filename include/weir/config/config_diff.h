#pragma once
// What changes between two configs, for `weir -c -f NEW --diff-against OLD`: frontends,
// backends, servers (matched by backend and name, as a reload would keep them), caches, rules
// and settings added (+), removed (-) or modified (~), one line each, in file order.

#include <string>
#include <vector>

#include "weir/config/config.h"

namespace weir::config {

std::vector<std::string> diffConfigs(const Config& before, const Config& after);

}  // namespace weir::config
