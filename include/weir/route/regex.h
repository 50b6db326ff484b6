#pragma once
// An RE2 regular expression (linear-time matching: no pattern can make a request take
// exponential time) that can be copied: a copy compiles the same pattern again. Each worker
// keeps its own copy of the frontend rules, so no RE2 internal lock is ever shared between
// workers on the request path.

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace weir::route {

class Regex {
 public:
  /// Compiles `pattern`; on failure returns nullopt and sets *error to RE2's message.
  static std::optional<Regex> compile(std::string_view pattern, bool ignoreCase, std::string* error);

  Regex(const Regex& other);
  Regex& operator=(const Regex& other);
  Regex(Regex&&) noexcept = default;
  Regex& operator=(Regex&&) noexcept = default;
  ~Regex() = default;

  /// True when the pattern matches anywhere in `text` (anchor it with ^ and $ to match whole).
  bool search(std::string_view text) const;
  /// HAProxy's replace semantics: when the pattern matches, *out becomes `rewrite` with \0-\9
  /// replaced by the groups (the whole value is replaced, not only the matched part).
  bool extract(std::string_view text, std::string_view rewrite, std::string* out) const;
  /// Why `rewrite` is not valid for this pattern (a \N beyond its groups), or "" when it is.
  std::string checkRewrite(std::string_view rewrite) const;
  const std::string& pattern() const { return re_->pattern(); }

 private:
  explicit Regex(std::unique_ptr<RE2> re) : re_(std::move(re)) {}
  std::unique_ptr<RE2> re_;
};

}  // namespace weir::route
