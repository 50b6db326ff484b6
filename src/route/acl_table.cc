#include "weir/route/acl_table.h"

#include <algorithm>

namespace weir::route {

int AclTable::addNamed(std::string_view name, AclMatcher matcher) {
  if (std::optional<int> existing = find(name)) {
    acls_[static_cast<size_t>(*existing)].matchers.push_back(std::move(matcher));
    return *existing;
  }
  acls_.push_back({std::string(name), {}});
  acls_.back().matchers.push_back(std::move(matcher));
  return static_cast<int>(acls_.size() - 1);
}

int AclTable::addAnonymous(AclMatcher matcher) {
  acls_.push_back({"", {}});
  acls_.back().matchers.push_back(std::move(matcher));
  return static_cast<int>(acls_.size() - 1);
}

void AclTable::addBroken(std::string_view name) {
  if (!find(name)) acls_.push_back({std::string(name), {}});
}

std::optional<int> AclTable::find(std::string_view name) const {
  for (size_t i = 0; i < acls_.size(); ++i)
    if (!acls_[i].name.empty() && acls_[i].name == name) return static_cast<int>(i);
  return std::nullopt;
}

bool AclTable::evaluate(int index, const RequestFacts& facts) const {
  const Acl& a = acls_[static_cast<size_t>(index)];
  if (a.matchers.size() == 1) return a.matchers.front().matches(facts);  // the usual case
  return std::any_of(a.matchers.begin(), a.matchers.end(), [&](const AclMatcher& m) { return m.matches(facts); });
}

std::vector<std::string_view> AclTable::names() const {
  std::vector<std::string_view> out;
  for (const Acl& a : acls_)
    if (!a.name.empty()) out.push_back(a.name);
  return out;
}

}  // namespace weir::route
