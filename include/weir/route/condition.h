#pragma once
// The condition after `if` / `unless`, in HAProxy's syntax and precedence: terms side by side
// are ANDed, `or` / `||` separates OR-ed groups, `!` negates one term, a term is an ACL name
// or an anonymous ACL `{ matcher values }`. No parentheses (HAProxy has none either).
//   if !{ ssl_fc } !health          unless internal          if api or { path_beg /v2 }
// Evaluation short-circuits and allocates nothing. Immutable after load.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "weir/route/acl_table.h"
#include "weir/route/rule_words.h"

namespace weir::route {

class Condition {
 public:
  struct Term {
    int acl;
    bool negate;
  };

  /// Parses words[0] == "if" | "unless" and everything after it; anonymous ACLs are added to
  /// `acls`, names are looked up in it. On failure returns nullopt with errors added.
  static std::optional<Condition> parse(std::span<const RuleWord> words, AclTable& acls, std::vector<RuleError>* errors);

  bool holds(const AclTable& acls, const RequestFacts& facts) const;
  /// "if !{ ssl_fc } !health", as written.
  const std::string& text() const { return text_; }
  /// Every ACL this condition refers to, for `weir explain`.
  std::vector<int> acls() const;

 private:
  bool unless_ = false;
  std::vector<std::vector<Term>> groups_;  // OR of ANDs
  std::string text_;
};

}  // namespace weir::route
