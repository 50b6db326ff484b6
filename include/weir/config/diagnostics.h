#pragma once
// The errors and warnings of one config load, each formatted
// `file:line:col: key.path: message` (CONFIG.md, "Errors").

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weir/config/config.h"

namespace weir::config {

/// Collects the messages of one load; owned by the loader for the duration of the load.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  /// The text being loaded (it must outlive this object), so that positions inside a quoted
  /// scalar can be mapped to the columns where they are written.
  void setSource(std::string_view text) { source_ = text; }
  /// Line `line` (1-based) of the source without its newline; "" when unknown.
  std::string_view sourceLine(int line) const;

  /// `path` may be empty (messages about the whole file); a pos with line 0 prints no position.
  void error(SourcePos pos, std::string_view path, std::string_view message);
  void warning(SourcePos pos, std::string_view path, std::string_view message);

  bool hasErrors() const { return !errors_.empty(); }
  /// Messages in file order (by line, then column; same place: in the order reported).
  std::vector<std::string> errors() const { return sorted(errors_); }
  std::vector<std::string> warnings() const { return sorted(warnings_); }

 private:
  struct Entry {
    SourcePos pos;
    std::string text;
  };

  std::string format(SourcePos pos, std::string_view path, std::string_view message) const;
  static std::vector<std::string> sorted(std::vector<Entry> entries);

  std::string file_;
  std::string_view source_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

}  // namespace weir::config
