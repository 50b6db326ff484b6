#pragma once
// Splits one HAProxy-style rule line ("redirect scheme https code 301 if !{ ssl_fc }") into
// words, with HAProxy's quoting: "double quotes" and backslash escapes (\  \# \\ \' \" \r \n
// \t \xNN; any other backslash stays as written, so regexes like \. keep their meaning), and
// 'single quotes' in which nothing is interpreted. Pure.

#include <string>
#include <string_view>
#include <vector>

namespace weir::route {

/// A problem in a rule line, at a byte offset into it (for file:line:col messages).
struct RuleError {
  size_t offset = 0;
  std::string message;
};

struct RuleWord {
  std::string text;    // unquoted and unescaped
  size_t offset = 0;   // where the word starts in the line
  bool quoted = false;  // some part was quoted: never a keyword or operator
};

struct RuleWords {
  std::vector<RuleWord> words;
  std::vector<RuleError> errors;  // unterminated quote, bad \x escape
};

RuleWords splitRuleWords(std::string_view line);

/// True when `w` is the unquoted word `keyword`.
inline bool isKeyword(const RuleWord& w, std::string_view keyword) { return !w.quoted && w.text == keyword; }

}  // namespace weir::route
