#include "weir/route/condition.h"

#include <algorithm>

#include "weir/config/key_suggester.h"

namespace weir::route {
namespace {

/// Parses one `{ matcher values }` starting at words[i] == "{"; advances i past "}".
std::optional<int> parseAnonymous(std::span<const RuleWord> words, size_t& i, AclTable& acls,
                                  std::vector<RuleError>* errors) {
  const size_t open = i++;
  const size_t first = i;
  while (i < words.size() && !isKeyword(words[i], "}")) ++i;
  if (i == words.size()) {
    errors->push_back({words[open].offset, "'{' without a matching ' }' (braces need spaces around them)"});
    return std::nullopt;
  }
  if (first == i) {
    errors->push_back({words[open].offset, "empty anonymous ACL '{ }'"});
    ++i;
    return std::nullopt;
  }
  std::optional<AclMatcher> matcher = AclMatcher::parse(words.subspan(first, i - first), errors);
  ++i;
  if (!matcher) return std::nullopt;
  return acls.addAnonymous(std::move(*matcher));
}

std::optional<int> parseNamed(const RuleWord& word, std::string_view name, const AclTable& acls,
                              std::vector<RuleError>* errors) {
  if (std::optional<int> index = acls.find(name)) return index;
  std::string message = "undefined ACL '" + std::string(name) + "'";
  if (name.starts_with('{') || name.ends_with('}')) {
    message += " (braces need spaces around them: '{ " + std::string(name) + " }')";
  } else if (auto near = config::suggestKey(name, acls.names())) {
    message += ", did you mean '" + *near + "'?";
  }
  errors->push_back({word.offset, std::move(message)});
  return std::nullopt;
}

}  // namespace

std::optional<Condition> Condition::parse(std::span<const RuleWord> words, AclTable& acls,
                                          std::vector<RuleError>* errors) {
  Condition c;
  c.unless_ = isKeyword(words[0], "unless");
  for (const RuleWord& w : words) c.text_ += (c.text_.empty() ? "" : " ") + w.text;
  const size_t errorsBefore = errors->size();
  bool termWritten = false;  // in the current group, parsed or not (one error per mistake)
  size_t i = 1;
  while (i < words.size()) {
    const RuleWord& word = words[i];
    if (isKeyword(word, "or") || isKeyword(word, "||")) {
      if (!termWritten) errors->push_back({word.offset, "'" + word.text + "' without a term before it"});
      c.groupEnds_.push_back(static_cast<uint32_t>(c.terms_.size()));
      termWritten = false;
      ++i;
      continue;
    }
    termWritten = true;
    std::string_view text = word.text;
    bool negate = false;
    if (!word.quoted && text.starts_with('!')) {
      negate = true;
      text.remove_prefix(1);
      if (text.empty()) {  // "!" written apart from its term
        if (++i == words.size()) {
          errors->push_back({word.offset, "'!' without a term after it"});
          break;
        }
        text = words[i].text;
      }
    }
    std::optional<int> acl;
    if (!word.quoted && text == "{") {
      acl = parseAnonymous(words, i, acls, errors);
    } else {
      acl = parseNamed(words[i], text, acls, errors);
      ++i;
    }
    if (acl) c.terms_.push_back({*acl, negate});
  }
  if (words.size() == 1) errors->push_back({words[0].offset, "'" + words[0].text + "' needs a condition after it"});
  else if (!termWritten && errors->size() == errorsBefore)
    errors->push_back({words.back().offset, "a condition cannot end with '" + words.back().text + "'"});
  if (errors->size() != errorsBefore) return std::nullopt;
  c.groupEnds_.push_back(static_cast<uint32_t>(c.terms_.size()));
  return c;
}

std::vector<int> Condition::acls() const {
  std::vector<int> out;
  for (const Term& t : terms_)
    if (std::find(out.begin(), out.end(), t.acl) == out.end()) out.push_back(t.acl);
  return out;
}

}  // namespace weir::route
