#pragma once
// The ACLs of one frontend: the named ones of `acl` (a name written with several matchers is
// their OR, as an ACL declared on several lines in HAProxy) and the anonymous `{ ... }` ones
// found in conditions. Conditions refer to them by index. Immutable after load; copyable.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/route/acl_matcher.h"

namespace weir::route {

class AclTable {
 public:
  struct Acl {
    std::string name;  // "" for an anonymous ACL
    std::vector<AclMatcher> matchers;
  };

  /// Adds a matcher under `name` (a new ACL, or one more alternative of an existing one).
  int addNamed(std::string_view name, AclMatcher matcher);
  int addAnonymous(AclMatcher matcher);
  /// Declares `name` whose matcher could not be parsed (its error is reported already), so that
  /// rules using it are not reported again as using an undefined ACL. It never matches.
  void addBroken(std::string_view name);
  /// Index of the ACL named `name`, or nullopt.
  std::optional<int> find(std::string_view name) const;

  bool evaluate(int index, const RequestFacts& facts) const;
  const Acl& acl(int index) const { return acls_[static_cast<size_t>(index)]; }
  size_t size() const { return acls_.size(); }
  std::vector<std::string_view> names() const;

 private:
  std::vector<Acl> acls_;
};

}  // namespace weir::route
