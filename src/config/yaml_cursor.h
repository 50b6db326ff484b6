#pragma once
// Private to the config loader (src/config): yaml-cpp is seen here and in the loader only.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/config/config.h"
#include "weir/config/diagnostics.h"

namespace weir::config {

class YamlCursor;

/// One key a mapping accepts and what to do with its value.
struct KeyRule {
  std::string_view key;
  std::function<void(const YamlCursor& value)> read;
};

using KeySet = std::set<std::string, std::less<>>;

enum class NodeKind { kMapping, kSequence, kScalar };

/// A YAML node with the key path that leads to it and where it is written, so that every typed
/// read can report `file:line:col: key.path: message`. Reads never throw: a bad value is
/// reported to the Diagnostics and the read returns nullopt. Every scalar has its `${VAR}`s
/// expanded before it is interpreted. Lives for one load; owned by one thread.
class YamlCursor {
 public:
  static constexpr int64_t kNoMax = std::numeric_limits<int>::max();

  /// The document root: empty path, position 1:1.
  YamlCursor(const YAML::Node& root, Diagnostics* diag);

  const std::string& path() const { return path_; }
  /// The key that led here ("" for a sequence item or the root).
  const std::string& key() const { return key_; }
  /// Where the value is written (where its key is, when the value is empty).
  SourcePos pos() const { return pos_; }
  /// Where the key that led here is written (the item itself for a sequence item).
  SourcePos keyPos() const { return key_pos_; }
  bool isNull() const { return node_.IsNull(); }
  bool isScalar() const { return node_.IsScalar(); }
  bool isMap() const { return node_.IsMap(); }

  void error(std::string_view message) const;
  /// An error at `offset` bytes into this scalar's text (exact for one-line scalars).
  void errorAtOffset(size_t offset, std::string_view message) const;
  /// Where this scalar's text starts: after the opening quote of a quoted scalar.
  SourcePos textPos() const;
  void errorAtKey(std::string_view message) const;
  void warning(std::string_view message) const;
  void warningAtKey(std::string_view message) const;

  /// Reports "expected a mapping, got ..." unless the node is of `kind`. An empty value counts
  /// as an empty mapping or sequence.
  bool expect(NodeKind kind) const;
  /// The values of a mapping (each with its key()), in file order. Duplicate keys (called
  /// `noun` in the message) and keys that are not scalars are reported and skipped.
  std::vector<YamlCursor> entries(std::string_view noun = "key") const;
  /// The items of a sequence, with paths `path[i]`.
  std::vector<YamlCursor> items() const;
  /// Runs the rule of each key of a mapping; reports unknown keys, with a "did you mean" for
  /// near misses. Returns the keys seen.
  KeySet readKeys(std::span<const KeyRule> rules) const;
  /// Reports "missing required key 'KEY'" at keyPos() unless `seen` holds it.
  bool require(const KeySet& seen, std::string_view key) const;
  /// For keys a later version implements: checks the kind, then warns that it is ignored.
  void ignoreUnimplemented(NodeKind kind) const;

  std::optional<std::string> readString() const;
  std::optional<int64_t> readInt(int64_t min, int64_t max = kNoMax) const;
  std::optional<bool> readBool() const;
  /// A duration; zero is refused unless allow_zero.
  std::optional<std::chrono::milliseconds> readDuration(bool allow_zero = false) const;
  std::optional<uint64_t> readSize(uint64_t min, uint64_t max) const;
  /// The index of the value in `choices`; a near miss gets a "did you mean".
  std::optional<size_t> readChoice(std::span<const std::string_view> choices) const;

 private:
  YamlCursor(const YAML::Node& node, std::string path, std::string key, SourcePos key_pos,
             Diagnostics* diag);

  YamlCursor child(const YAML::Node& node, std::string key, SourcePos key_pos) const;
  std::optional<std::string> scalarText(std::string_view what) const;

  YAML::Node node_;
  std::string path_;
  std::string key_;
  SourcePos key_pos_;
  SourcePos pos_;
  Diagnostics* diag_;
};

/// A 1-based position from yaml-cpp's 0-based mark; {0, 0} when the mark is unknown.
SourcePos toSourcePos(const YAML::Mark& mark);

}  // namespace weir::config
