// A frontend's rules: `acl`, `http_request`, `http_response`, `use_backend`. Kept as text with
// their positions; src/route parses them (here only to report errors before anything runs).

#include <algorithm>
#include <filesystem>

#include "sections.h"
#include "weir/route/router.h"

namespace weir::config {
namespace {

std::optional<RuleLine> readRuleLine(const YamlCursor& value, RuleCursors* cursors) {
  if (!value.isScalar()) {
    value.error("expected a one-line rule in HAProxy syntax, got " + std::string(value.isNull() ? "an empty value" : "a mapping or sequence"));
    return std::nullopt;
  }
  std::optional<std::string> text = value.readString();
  if (!text) return std::nullopt;
  cursors->emplace(value.path(), value);
  return RuleLine{std::move(*text), value.textPos(), value.path()};
}

bool validAclName(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"or", "if", "unless"};
  if (name.empty() || std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved)) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

}  // namespace

void readAcls(const YamlCursor& value, std::vector<AclLine>* out, RuleCursors* cursors) {
  if (!value.expect(NodeKind::kMapping)) return;
  for (const YamlCursor& entry : value.entries("ACL")) {
    if (!validAclName(entry.key())) {
      entry.errorAtKey("'" + entry.key() + "' is not a valid ACL name (letters, digits, '_', '-', '.', ':'; not or/if/unless)");
      continue;
    }
    std::vector<YamlCursor> lines;
    if (entry.isScalar() || entry.isNull()) lines.push_back(entry);
    else if (entry.expect(NodeKind::kSequence)) lines = entry.items();
    for (const YamlCursor& line : lines)
      if (std::optional<RuleLine> rule = readRuleLine(line, cursors)) out->push_back({entry.key(), std::move(*rule)});
  }
}

void readRuleList(const YamlCursor& value, std::vector<RuleLine>* out, RuleCursors* cursors) {
  if (!value.expect(NodeKind::kSequence)) return;
  for (const YamlCursor& item : value.items())
    if (std::optional<RuleLine> rule = readRuleLine(item, cursors)) out->push_back(std::move(*rule));
}

void checkFrontendRules(const FrontendConfig& fe, const Config& config, const RuleCursors& cursors) {
  const std::string baseDir = std::filesystem::path(config.source_file).parent_path().string();
  route::Router::build(fe, config, baseDir, [&](const RuleLine& line, size_t offset, const std::string& message) {
    auto it = cursors.find(line.path);
    if (it != cursors.end()) it->second.errorAtOffset(offset, message);
  });
}

}  // namespace weir::config
