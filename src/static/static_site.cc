#include "weir/static/static_site.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace weir::static_files {

std::unique_ptr<StaticSite> StaticSite::open(const config::StaticRuleConfig& config, int id, std::string* error) {
  auto site = std::make_unique<StaticSite>();
  site->id = id;
  site->config = config;
  site->root = UniqueFd(::open(config.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!site->root.valid()) *error = config.root + ": " + std::strerror(errno);
  return site;
}

}  // namespace weir::static_files
