#pragma once
// A frontend's routing, compiled from its config: ACLs, http_request rules, static rules,
// use_backend rules, default_backend, http_response rules. route() decides what answers one
// request:
//   1. http_request rules in order: header and path edits apply and evaluation goes on; the
//      first return / redirect / deny that fires answers the request; allow skips the rest;
//   2. the first static rule whose condition holds: files from disk (when the file is missing
//      and the rule falls back to the backend, the session asks pickBackend());
//   3. use_backend rules in order, first match wins; then default_backend;
//   4. nothing: the request gets a 503.
// Copyable; each worker keeps its own copy (see regex.h), and a copy is used by one thread only:
// route() memoises each ACL's value for the request in the copy (an ACL named by several
// rules is evaluated once; an edit of the request forgets the values). route() allocates
// nothing unless a rule edits the request.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weir/config/config.h"
#include "weir/route/acl_table.h"
#include "weir/route/http_rule.h"

namespace weir::route {

/// A use_backend rule, or a cache rule (`backend` is then the index of the cache).
struct UseBackendRule {
  int backend = -1;  // index into config.backends (config.caches for a cache rule)
  std::string name;
  std::optional<Condition> condition;
  std::string text;
};

struct RouteResult {
  enum class Kind { kBackend, kReply, kStatic, kNoBackend };
  Kind kind = Kind::kNoBackend;
  int backend = -1;               // kBackend: index into config.backends
  const HttpRule* rule = nullptr;  // kReply: the return, redirect or deny that fired
  int staticRule = -1;            // kStatic: index into the frontend's `static` rules
};

/// What route() did, step by step, for `weir explain`.
struct RouteTrace {
  struct Step {
    std::string list;  // "http_request", "use_backend", "default_backend"
    size_t index;      // 0-based position in the list
    std::string text;
    bool fired;        // the condition held (or there was none)
  };
  std::vector<Step> steps;
};

class Router {
 public:
  /// Reports a problem in `line` at byte `offset` of its text.
  using ErrorSink = std::function<void(const config::RuleLine& line, size_t offset, const std::string& message)>;

  /// Compiles `fe`'s rules; `baseDir` resolves relative `file` paths. On errors returns
  /// nullopt after reporting every one of them.
  static std::optional<Router> build(const config::FrontendConfig& fe, const config::Config& config,
                                     const std::string& baseDir, const ErrorSink& onError);

  /// Runs the request rules and picks the backend. Edits `headers` and `path` (normalised;
  /// facts.path views it) as the rules say; facts.headers must point at `headers`.
  RouteResult route(RequestFacts& facts, http::HeaderMap& headers, std::string& path, RouteTrace* trace = nullptr) const;
  /// The cache (index into config.caches) the first matching `cache` rule names, or -1.
  int pickCache(const RequestFacts& facts) const;
  /// Step 3 alone: the backend for a request whose static file was missing.
  RouteResult pickBackend(const RequestFacts& facts, RouteTrace* trace = nullptr) const;
  /// Applies the http_response rules to a proxied response's headers (facts.status set).
  void applyResponseRules(const RequestFacts& facts, http::HeaderMap& headers) const;
  bool hasResponseRules() const { return !responseRules_.empty(); }

  const AclTable& acls() const { return acls_; }
  const std::vector<HttpRule>& requestRules() const { return requestRules_; }
  const std::vector<UseBackendRule>& useBackends() const { return useBackends_; }
  /// The conditions of the static rules, in order (none: every request).
  const std::vector<std::optional<Condition>>& staticConditions() const { return staticConditions_; }
  int defaultBackend() const { return defaultBackend_; }

 private:
  bool applyEdit(const HttpRule& rule, RequestFacts& facts, http::HeaderMap& headers, std::string& path) const;
  /// The value of ACL `index` for the request being routed (memoised until forgetAcls()).
  bool aclValue(int index, const RequestFacts& facts) const;
  void forgetAcls() const;

  AclTable acls_;
  std::vector<HttpRule> requestRules_;
  std::vector<HttpRule> responseRules_;
  std::vector<std::optional<Condition>> staticConditions_;
  std::vector<UseBackendRule> useBackends_;
  std::vector<UseBackendRule> cacheRules_;
  int defaultBackend_ = -1;
  // Per-request memo: memo_[i] is (round << 1 | value of ACL i); it holds for this request
  // when its round is memoRound_ (a new request or an edit only bumps memoRound_).
  mutable std::vector<uint32_t> memo_;
  mutable uint32_t memoRound_ = 1;
};

}  // namespace weir::route
