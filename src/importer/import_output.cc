#include "weir/importer/import.h"

#include <fmt/format.h>

namespace weir::importer {

namespace {

/// Servers, binds and short lists read best on one line each.
void flowShortCollections(YAML::Node node, int depth) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      YAML::Node value = it->second;
      if (key == "servers" && value.IsSequence()) {
        for (YAML::Node server : value) server.SetStyle(YAML::EmitterStyle::Flow);
        continue;
      }
      if (key == "bind" && value.IsSequence()) {
        bool simple = true;
        for (const YAML::Node& b : value) simple = simple && b.IsScalar();
        if (simple) value.SetStyle(YAML::EmitterStyle::Flow);
        else for (YAML::Node b : value) if (b.IsMap()) b.SetStyle(YAML::EmitterStyle::Flow);
        continue;
      }
      if ((key == "health_check" || key == "auth") && value.IsMap()) {
        value.SetStyle(YAML::EmitterStyle::Flow);
        continue;
      }
      flowShortCollections(value, depth + 1);
    }
  }
}

}  // namespace

bool looksLikeNginx(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '#') {
      i = text.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (text[i] == '{') {
      // HAProxy has braces only in ACL conditions: `if { path /x }`.
      const size_t start = text.rfind('\n', i) == std::string_view::npos ? 0 : text.rfind('\n', i) + 1;
      const std::string_view line = text.substr(start, i - start);
      if (line.find(" if ") == std::string_view::npos && line.find(" unless ") == std::string_view::npos) return true;
    }
  }
  return false;
}

std::string renderYaml(const ImportResult& result, const std::string& source) {
  std::string out = fmt::format("# weir config converted by `weir import` from {}\n", source);
  if (!result.notes.empty()) {
    out += "# Not converted (check each one):\n";
    for (const ImportNote& n : result.notes) out += fmt::format("#   line {}: {}: {}\n", n.line, n.text, n.why);
  }
  YAML::Node config = YAML::Clone(result.config);
  flowShortCollections(config, 0);
  YAML::Emitter emitter;
  emitter.SetIndent(2);
  emitter << config;
  out += emitter.c_str();
  out += "\n";
  return out;
}

}  // namespace weir::importer
