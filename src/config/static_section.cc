// A frontend's `static` rules: which requests are answered from which directory, and how.

#include <sys/stat.h>

#include <array>
#include <filesystem>

#include "sections.h"

namespace weir::config {
namespace {

void readRoot(const YamlCursor& value, const std::string& baseDir, std::string* root) {
  std::optional<std::string> text = value.readString();
  if (!text) return;
  std::filesystem::path path(*text);
  if (path.is_relative() && !baseDir.empty()) path = std::filesystem::path(baseDir) / path;
  std::error_code ec;
  path = std::filesystem::absolute(path, ec).lexically_normal();
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISDIR(st.st_mode)) {
    value.error("'" + *text + "' is not a directory");
    return;
  }
  // As nginx: a root that does not exist (yet) is not fatal; its files are missing until then.
  if (!exists) value.warning("'" + *text + "' does not exist: this rule finds no file until it does (and weir restarts)");
  *root = path.string();
  if (root->size() > 1 && root->back() == '/') root->pop_back();
}

StaticRuleConfig loadStaticRule(const YamlCursor& item, const std::string& baseDir, RuleCursors* cursors) {
  StaticRuleConfig rule;
  rule.pos = item.pos();
  if (!item.expect(NodeKind::kMapping)) return rule;
  const std::vector<KeyRule> rules{
      {"if",
       [&](const YamlCursor& v) {
         if (!v.isScalar()) return v.error("expected a condition, e.g. 'static' or '{ path_beg /assets/ }'");
         if (std::optional<std::string> text = v.readString()) {
           cursors->emplace(v.path(), v);
           rule.condition = RuleLine{std::move(*text), v.textPos(), v.path()};
         }
       }},
      {"root", [&](const YamlCursor& v) { readRoot(v, baseDir, &rule.root); }},
      {"expires",
       [&](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) rule.expires = *d;
       }},
      {"fallback",
       [&](const YamlCursor& v) {
         static constexpr std::array<std::string_view, 2> kChoices{"backend", "404"};
         if (auto choice = v.readChoice(kChoices)) rule.fallback_backend = *choice == 0;
       }},
      {"index",
       [&](const YamlCursor& v) {
         std::optional<std::string> name = v.readString();
         if (name && (name->empty() || name->find('/') != std::string::npos)) v.error("expected a file name, e.g. index.html");
         else if (name) rule.index = std::move(*name);
       }},
      {"dotfiles",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) rule.dotfiles = *b;
       }},
      {"precompressed",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) rule.precompressed = *b;
       }},
  };
  const KeySet seen = item.readKeys(rules);
  item.require(seen, "root");
  return rule;
}

}  // namespace

void readStaticRules(const YamlCursor& value, const std::string& baseDir, std::vector<StaticRuleConfig>* out,
                     RuleCursors* cursors) {
  if (!value.expect(NodeKind::kSequence)) return;
  for (const YamlCursor& item : value.items()) out->push_back(loadStaticRule(item, baseDir, cursors));
}

}  // namespace weir::config
