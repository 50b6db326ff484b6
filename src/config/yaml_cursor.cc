#include "yaml_cursor.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "weir/config/env_expander.h"
#include "weir/config/key_suggester.h"
#include "weir/config/units.h"

namespace weir::config {
namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string joined(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

/// What a node is, for "expected X, got Y": a scalar is shown as written.
std::string describeKind(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  if (node.IsScalar()) return quoted(node.Scalar());
  return "an empty value";
}

std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  const std::optional<std::string> suggestion = suggestKey(word, candidates);
  return suggestion ? ", did you mean '" + *suggestion + "'?" : "";
}

void reportUnknownKey(const YamlCursor& entry, std::span<const KeyRule> rules) {
  std::vector<std::string_view> names;
  for (const KeyRule& rule : rules) names.push_back(rule.key);
  const std::string hint = didYouMean(entry.key(), names);
  entry.errorAtKey(hint.empty() ? "unknown key (expected one of: " + joined(names) + ")"
                                : "unknown key" + hint);
}

}  // namespace

SourcePos toSourcePos(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

YamlCursor::YamlCursor(const YAML::Node& root, Diagnostics* diag)
    : YamlCursor(root, "", "", SourcePos{1, 1}, diag) {}

YamlCursor::YamlCursor(const YAML::Node& node, std::string path, std::string key, SourcePos key_pos,
                       Diagnostics* diag)
    : node_(node), path_(std::move(path)), key_(std::move(key)), key_pos_(key_pos), diag_(diag) {
  // An empty value's mark points past it (often at the next line): use its key's position.
  const SourcePos own = toSourcePos(node_.Mark());
  pos_ = node_.IsNull() || own.line == 0 ? key_pos_ : own;
}

YamlCursor YamlCursor::child(const YAML::Node& node, std::string key, SourcePos key_pos) const {
  std::string path = path_.empty() ? key : path_ + "." + key;
  return YamlCursor(node, std::move(path), std::move(key), key_pos, diag_);
}

void YamlCursor::error(std::string_view message) const { diag_->error(pos_, path_, message); }

SourcePos YamlCursor::textPos() const {
  SourcePos p = pos_;
  // yaml-cpp tags a quoted scalar "!" and a plain one "?".
  if (node_.IsScalar() && node_.Tag() == "!" && p.line != 0) ++p.column;
  return p;
}

namespace {

/// The column (1-based) where byte `offset` of a one-line scalar's value is written, the scalar
/// starting at column `start` of `line` (at its quote, if quoted); nullopt when it cannot be
/// told (the value runs past the line).
std::optional<int> columnOfValueByte(std::string_view line, int start, size_t offset) {
  size_t at = static_cast<size_t>(start - 1);
  if (at >= line.size()) return std::nullopt;
  const char quote = line[at] == '"' || line[at] == '\'' ? line[at] : 0;
  if (quote != 0) ++at;
  for (size_t decoded = 0; decoded < offset; ++decoded) {
    if (at >= line.size()) return std::nullopt;
    if (quote == '"' && line[at] == '\\') {
      const char e = at + 1 < line.size() ? line[at + 1] : 0;
      // \xNN, \uNNNN and \UNNNNNNNN are one character (UTF-8: up to 4 bytes; counted as one).
      at += e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
    } else if (quote == '\'' && line[at] == '\'' && at + 1 < line.size() && line[at + 1] == '\'') {
      at += 2;
    } else {
      ++at;
    }
  }
  return static_cast<int>(at) + 1;
}

}  // namespace

void YamlCursor::errorAtOffset(size_t offset, std::string_view message) const {
  SourcePos p = pos_;
  std::string failure;
  const std::optional<std::string> expanded = expandEnvVars(node_.Scalar(), &failure);
  // After ${VAR} expansion offsets no longer match the file: point at the scalar.
  if (p.line != 0 && expanded && *expanded == node_.Scalar()) {
    if (std::optional<int> column = columnOfValueByte(diag_->sourceLine(p.line), p.column, offset)) p.column = *column;
  }
  diag_->error(p, path_, message);
}

void YamlCursor::errorAtKey(std::string_view message) const {
  diag_->error(key_pos_, path_, message);
}

void YamlCursor::warning(std::string_view message) const { diag_->warning(pos_, path_, message); }

void YamlCursor::warningAtKey(std::string_view message) const {
  diag_->warning(key_pos_, path_, message);
}

bool YamlCursor::expect(NodeKind kind) const {
  static constexpr std::string_view kNames[] = {"a mapping", "a sequence", "a value"};
  bool ok = false;
  switch (kind) {
    case NodeKind::kMapping:
      ok = node_.IsMap() || node_.IsNull();
      break;
    case NodeKind::kSequence:
      ok = node_.IsSequence() || node_.IsNull();
      break;
    case NodeKind::kScalar:
      ok = node_.IsScalar();
      break;
  }
  if (!ok) {
    error("expected " + std::string(kNames[static_cast<int>(kind)]) + ", got " +
          describeKind(node_));
  }
  return ok;
}

std::vector<YamlCursor> YamlCursor::entries(std::string_view noun) const {
  std::vector<YamlCursor> out;
  if (!node_.IsMap()) {
    expect(NodeKind::kMapping);
    return out;
  }
  std::map<std::string, int, std::less<>> first_line;
  for (const auto& pair : node_) {
    const SourcePos key_pos = toSourcePos(pair.first.Mark());
    if (!pair.first.IsScalar()) {
      diag_->error(key_pos, path_, "keys must be plain strings, got " + describeKind(pair.first));
      continue;
    }
    YamlCursor entry = child(pair.second, pair.first.Scalar(), key_pos);
    auto [it, inserted] = first_line.emplace(entry.key(), key_pos.line);
    if (!inserted) {
      entry.errorAtKey("duplicate " + std::string(noun) + " " + quoted(entry.key()) +
                       ", first defined at line " + std::to_string(it->second));
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<YamlCursor> YamlCursor::items() const {
  std::vector<YamlCursor> out;
  if (!node_.IsSequence()) {
    if (!node_.IsNull()) expect(NodeKind::kSequence);
    return out;
  }
  size_t index = 0;
  for (const YAML::Node& item : node_) {
    // An empty item's mark points at the next token, maybe another key: use the sequence's.
    const SourcePos own = toSourcePos(item.Mark());
    const SourcePos pos = item.IsNull() || own.line == 0 ? pos_ : own;
    std::string path = path_ + "[" + std::to_string(index++) + "]";
    out.push_back(YamlCursor(item, std::move(path), "", pos, diag_));
  }
  return out;
}

KeySet YamlCursor::readKeys(std::span<const KeyRule> rules) const {
  KeySet seen;
  for (const YamlCursor& entry : entries()) {
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const KeyRule& r) { return r.key == entry.key(); });
    if (rule == rules.end()) {
      reportUnknownKey(entry, rules);
      continue;
    }
    seen.insert(entry.key());
    rule->read(entry);
  }
  return seen;
}

bool YamlCursor::require(const KeySet& seen, std::string_view key) const {
  if (seen.contains(key)) return true;
  errorAtKey("missing required key " + quoted(key));
  return false;
}

void YamlCursor::ignoreUnimplemented(NodeKind kind) const {
  if (expect(kind)) warningAtKey("this key is not implemented yet and is ignored");
}

std::optional<std::string> YamlCursor::scalarText(std::string_view what) const {
  if (!node_.IsScalar()) {
    error("expected " + std::string(what) + ", got " + describeKind(node_));
    return std::nullopt;
  }
  std::string failure;
  std::optional<std::string> text = expandEnvVars(node_.Scalar(), &failure);
  if (!text) error(failure);
  return text;
}

std::optional<std::string> YamlCursor::readString() const { return scalarText("a string"); }

std::optional<int64_t> YamlCursor::readInt(int64_t min, int64_t max) const {
  const std::optional<std::string> text = scalarText("an integer");
  if (!text) return std::nullopt;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [stop, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || stop != end) {
    error(quoted(*text) + " is not an integer");
    return std::nullopt;
  }
  const bool overflow = ec == std::errc::result_out_of_range;
  const bool below = overflow ? text->front() == '-' : value < min;
  const bool above = overflow ? text->front() != '-' : value > max;
  if (!below && !above) return value;
  if (max != kNoMax) {
    error(*text + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
  } else {
    error(*text +
          (below ? " is out of range (must be >= " + std::to_string(min) + ")" : " is too large"));
  }
  return std::nullopt;
}

std::optional<bool> YamlCursor::readBool() const {
  const std::optional<std::string> text = scalarText("a boolean");
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "no" || *text == "off") return false;
  error(quoted(*text) + " is not a boolean (true or false)");
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> YamlCursor::readDuration(bool allow_zero) const {
  const std::optional<std::string> text = scalarText("a duration");
  if (!text) return std::nullopt;
  std::string failure;
  const std::optional<std::chrono::milliseconds> value = parseDuration(*text, &failure);
  if (!value) {
    error(failure);
  } else if (!allow_zero && value->count() == 0) {
    error(quoted(*text) + " must be greater than 0");
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> YamlCursor::readSize(uint64_t min, uint64_t max) const {
  const std::optional<std::string> text = scalarText("a size");
  if (!text) return std::nullopt;
  std::string failure;
  const std::optional<uint64_t> value = parseSize(*text, &failure);
  if (!value) {
    error(failure);
  } else if (*value < min || *value > max) {
    error(*text + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<size_t> YamlCursor::readChoice(std::span<const std::string_view> choices) const {
  const std::optional<std::string> text = scalarText("a value");
  if (!text) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == *text) return i;
  error(quoted(*text) + " is not one of " + joined(choices) + didYouMean(*text, choices));
  return std::nullopt;
}

}  // namespace weir::config
