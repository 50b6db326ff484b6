#pragma once
// One `http_request` or `http_response` rule in HAProxy's syntax: an action, its arguments,
// and an optional `if` / `unless` condition.
//   return status 200 content-type text/plain string "healthy\n" if health
//   redirect scheme https code 301 if !{ ssl_fc } !health
//   deny status 403 if { path_beg /nginx_status } !internal
//   set-header X-Frame-Options DENY          replace-path ^/old/(.*) /new/\1
// return, redirect and deny are terminal (the first that fires answers the request); allow
// ends the http_request rules; the others edit the message and go on. Immutable after load.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weir/http/header_map.h"
#include "weir/route/condition.h"
#include "weir/route/regex.h"

namespace weir::route {

enum class RuleSide { kRequest, kResponse };

enum class RuleAction { kReturn, kRedirect, kDeny, kAllow, kSetHeader, kAddHeader, kDelHeader, kSetPath, kReplacePath };

/// A response weir writes itself (return, deny).
struct ReplySpec {
  int status = 200;
  std::string contentType;
  std::string body;
  std::vector<http::Header> headers;
};

struct RedirectSpec {
  enum class Kind { kScheme, kLocation, kPrefix };
  Kind kind = Kind::kLocation;
  std::string value;
  int code = 302;
  bool dropQuery = false;
};

struct HttpRule {
  RuleAction action = RuleAction::kAllow;
  std::string name;   // the header of set-header, add-header, del-header
  std::string value;  // its value; the path of set-path; the replacement of replace-path
  std::optional<Regex> regex;  // replace-path
  ReplySpec reply;             // return, deny
  RedirectSpec redirect;
  std::optional<Condition> condition;
  std::string text;  // as written

  bool terminal() const { return action == RuleAction::kReturn || action == RuleAction::kRedirect || action == RuleAction::kDeny; }
  bool applies(const AclTable& acls, const RequestFacts& facts) const {
    return !condition || condition->holds(acls, facts);
  }
  template <typename AclValue>
  bool applies(AclValue&& aclValue) const {
    return !condition || condition->holds(aclValue);
  }
};

/// Parses one rule line. Conditions add their anonymous ACLs to `acls`; `return ... file F`
/// reads F (relative to baseDir) now, once.
std::optional<HttpRule> parseHttpRule(std::span<const RuleWord> words, RuleSide side, AclTable& acls,
                                      const std::string& baseDir, std::vector<RuleError>* errors);

/// The Location of a redirect for a request with this host, path and query.
std::string redirectLocation(const RedirectSpec& r, std::string_view host, std::string_view path, std::string_view query,
                             bool hasQuery);

}  // namespace weir::route
