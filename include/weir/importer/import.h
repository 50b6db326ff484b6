#pragma once
// `weir import`: an haproxy.cfg, or an nginx `upstream {}` / `server {}` subset, turned into
// weir's YAML. What has no weir equivalent is listed with its line number (a note), never
// silently dropped; the YAML carries the notes as comments at its top.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace weir::importer {

struct ImportNote {
  int line = 0;
  std::string text;  // the directive as written
  std::string why;   // why it was not converted, or what stands in for it
};

struct ImportResult {
  YAML::Node config;  // weir's config, keys in the order they are emitted
  std::vector<ImportNote> notes;
  std::string error;  // set when the input could not be read at all (unbalanced braces, ...)
};

ImportResult importHaproxy(std::string_view text);
ImportResult importNginx(std::string_view text);

/// Guesses the format: nginx when the text has `{` blocks, else HAProxy.
bool looksLikeNginx(std::string_view text);

/// The YAML weir reads, headed by the notes as comments ("# line 12: ...: why").
std::string renderYaml(const ImportResult& result, const std::string& source);

}  // namespace weir::importer
