#include "weir/route/rule_words.h"

#include <cctype>

#include "weir/base/hex.h"

namespace weir::route {
namespace {

/// Reads the escape at line[i] == '\\' into *out; returns the bytes consumed.
size_t readEscape(std::string_view line, size_t i, std::string* out, std::vector<RuleError>* errors) {
  if (i + 1 >= line.size()) {
    out->push_back('\\');
    return 1;
  }
  const char c = line[i + 1];
  switch (c) {
    case ' ': case '#': case '\\': case '\'': case '"': out->push_back(c); return 2;
    case 'r': out->push_back('\r'); return 2;
    case 'n': out->push_back('\n'); return 2;
    case 't': out->push_back('\t'); return 2;
    case 'x': {
      const int byte = hexByteAt(line, i + 2);
      if (byte < 0) {
        errors->push_back({i, "\\x must be followed by two hexadecimal digits"});
        return 2;
      }
      out->push_back(static_cast<char>(byte));
      return 4;
    }
    default:
      out->push_back('\\');  // not an escape: kept, as HAProxy does (regexes rely on it)
      return 1;
  }
}

}  // namespace

RuleWords splitRuleWords(std::string_view line) {
  RuleWords result;
  size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    RuleWord word;
    word.offset = i;
    char quote = 0;
    size_t quoteStart = 0;
    while (i < line.size() && (quote != 0 || !std::isspace(static_cast<unsigned char>(line[i])))) {
      const char c = line[i];
      if (quote == '\'') {
        if (c == '\'') quote = 0; else word.text.push_back(c);
        ++i;
      } else if (c == '\\') {
        i += readEscape(line, i, &word.text, &result.errors);
      } else if (quote == '"' && c == '"') {
        quote = 0;
        ++i;
      } else if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
        quoteStart = i;
        word.quoted = true;
        ++i;
      } else {
        word.text.push_back(c);
        ++i;
      }
    }
    if (quote != 0) result.errors.push_back({quoteStart, std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote"});
    result.words.push_back(std::move(word));
  }
  return result;
}

}  // namespace weir::route
