#pragma once
// The condition after `if` / `unless`, in HAProxy's syntax and precedence: terms side by side
// are ANDed, `or` / `||` separates OR-ed groups, `!` negates one term, a term is an ACL name
// or an anonymous ACL `{ matcher values }`. No parentheses (HAProxy has none either).
//   if !{ ssl_fc } !health          unless internal          if api or { path_beg /v2 }
// Evaluation short-circuits and allocates nothing. Immutable after load.

#include <cstdint>
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

  bool holds(const AclTable& acls, const RequestFacts& facts) const {
    return holds([&](int acl) { return acls.evaluate(acl, facts); });
  }
  /// With `aclValue(index)` giving each ACL's value (the router memoises them per request).
  template <typename AclValue>
  bool holds(AclValue&& aclValue) const {
    bool any = false;
    size_t t = 0;
    for (const uint32_t end : groupEnds_) {
      bool all = true;
      for (; t < end; ++t) {
        if (aclValue(terms_[t].acl) == terms_[t].negate) {
          all = false;
          break;
        }
      }
      if (all) {
        any = true;
        break;
      }
      t = end;
    }
    return any != unless_;
  }
  /// "if !{ ssl_fc } !health", as written.
  const std::string& text() const { return text_; }
  /// Every ACL this condition refers to, for `weir explain`.
  std::vector<int> acls() const;

 private:
  bool unless_ = false;
  // OR of ANDs, flat: group g is terms_[groupEnds_[g-1], groupEnds_[g]).
  std::vector<Term> terms_;
  std::vector<uint32_t> groupEnds_;
  std::string text_;
};

}  // namespace weir::route
