#pragma once
// One `static` rule at run time: its options and its root directory, opened once at start so
// that every file is opened beneath it (file_opener.h). Immutable; shared by every worker.

#include <memory>
#include <string>

#include "weir/config/config.h"
#include "weir/static/file_opener.h"

namespace weir::static_files {

struct StaticSite {
  int id = 0;  // unique in the process: open-file cache keys
  config::StaticRuleConfig config;
  UniqueFd root;

  /// Opens config.root; when it cannot be opened as a directory, `root` is left invalid (every
  /// file is then missing) and *error says why.
  static std::unique_ptr<StaticSite> open(const config::StaticRuleConfig& config, int id, std::string* error);
};

}  // namespace weir::static_files
