#include "weir/route/router.h"

#include <algorithm>

#include <fmt/format.h>

#include "weir/config/key_suggester.h"
#include "weir/route/path_normalizer.h"

namespace weir::route {
namespace {

/// Splits `line` and hands its words to `parse`; every error goes to onError.
template <typename Parse>
bool parseLine(const config::RuleLine& line, const Router::ErrorSink& onError, Parse&& parse) {
  RuleWords split = splitRuleWords(line.text);
  std::vector<RuleError> errors = std::move(split.errors);
  if (errors.empty()) {
    if (split.words.empty()) errors.push_back({0, "empty rule"});
    else parse(std::span<const RuleWord>(split.words), &errors);
  }
  for (const RuleError& e : errors) onError(line, e.offset, e.message);
  return errors.empty();
}

/// "NAME [if|unless COND]" where NAME is one of `names` (a backend, a cache): the index of NAME
/// in `names`, and the condition.
std::optional<UseBackendRule> parseTargetRule(std::span<const RuleWord> words, std::string_view noun,
                                              const std::vector<std::string_view>& names, AclTable& acls,
                                              std::vector<RuleError>* errors) {
  UseBackendRule rule;
  for (const RuleWord& w : words) rule.text += (rule.text.empty() ? "" : " ") + w.text;
  rule.name = words[0].text;
  const auto found = std::find(names.begin(), names.end(), rule.name);
  rule.backend = found == names.end() ? -1 : static_cast<int>(found - names.begin());
  if (rule.backend < 0) {
    const std::optional<std::string> near = config::suggestKey(rule.name, names);
    errors->push_back({words[0].offset, fmt::format("no {} named '{}'{}", noun, rule.name,
                                                    near ? ", did you mean '" + *near + "'?" : "")});
  }
  if (words.size() > 1) {
    if (!isKeyword(words[1], "if") && !isKeyword(words[1], "unless")) {
      errors->push_back({words[1].offset, fmt::format("expected 'if' or 'unless' after the {} name, got '{}'", noun, words[1].text)});
      return std::nullopt;
    }
    rule.condition = Condition::parse(words.subspan(1), acls, errors);
    if (!rule.condition) return std::nullopt;
  }
  if (rule.backend < 0) return std::nullopt;
  return rule;
}

/// Why `condition` cannot be evaluated on a request (it tests the response), or "".
std::string requestSideProblem(const std::optional<Condition>& condition, const AclTable& acls) {
  if (!condition) return {};
  for (int index : condition->acls()) {
    const AclTable::Acl& acl = acls.acl(index);
    for (const AclMatcher& m : acl.matchers)
      if (m.needsResponse())
        return "'" + (acl.name.empty() ? "{ " + m.text() + " }" : acl.name) + "' tests the response ('" + m.text() +
               "'), which only http_response rules can do";
  }
  return {};
}

}  // namespace

std::optional<Router> Router::build(const config::FrontendConfig& fe, const config::Config& config,
                                    const std::string& baseDir, const ErrorSink& onError) {
  Router r;
  bool ok = true;
  for (const config::AclLine& acl : fe.acls) {
    ok &= parseLine(acl.matcher, onError, [&](std::span<const RuleWord> words, std::vector<RuleError>* errors) {
      if (std::optional<AclMatcher> m = AclMatcher::parse(words, errors)) r.acls_.addNamed(acl.name, std::move(*m));
    });
    if (!r.acls_.find(acl.name)) r.acls_.addBroken(acl.name);
  }
  auto rules = [&](const std::vector<config::RuleLine>& lines, RuleSide side, std::vector<HttpRule>* out) {
    for (const config::RuleLine& line : lines) {
      ok &= parseLine(line, onError, [&](std::span<const RuleWord> words, std::vector<RuleError>* errors) {
        std::optional<HttpRule> rule = parseHttpRule(words, side, r.acls_, baseDir, errors);
        if (!rule) return;
        std::string problem = side == RuleSide::kRequest ? requestSideProblem(rule->condition, r.acls_) : "";
        if (!problem.empty()) return errors->push_back({0, std::move(problem)});
        rule->text = line.text;  // as written, escapes and all
        out->push_back(std::move(*rule));
      });
    }
  };
  rules(fe.http_request, RuleSide::kRequest, &r.requestRules_);
  rules(fe.http_response, RuleSide::kResponse, &r.responseRules_);
  for (const config::StaticRuleConfig& rule : fe.statics) {
    r.staticConditions_.emplace_back();
    if (!rule.condition) continue;
    ok &= parseLine(*rule.condition, onError, [&](std::span<const RuleWord> words, std::vector<RuleError>* errors) {
      // `if: static` holds the condition only; "if"/"unless" may be written too.
      std::vector<RuleWord> withKeyword;
      if (!isKeyword(words[0], "if") && !isKeyword(words[0], "unless")) withKeyword.push_back({"if", 0, false});
      withKeyword.insert(withKeyword.end(), words.begin(), words.end());
      r.staticConditions_.back() = Condition::parse(withKeyword, r.acls_, errors);
    });
    if (std::string problem = requestSideProblem(r.staticConditions_.back(), r.acls_); !problem.empty()) {
      onError(*rule.condition, 0, problem);
      ok = false;
    }
  }
  auto targetRules = [&](const std::vector<config::RuleLine>& lines, std::string_view noun,
                         const std::vector<std::string_view>& names, std::vector<UseBackendRule>* out) {
    for (const config::RuleLine& line : lines) {
      ok &= parseLine(line, onError, [&](std::span<const RuleWord> words, std::vector<RuleError>* errors) {
        std::optional<UseBackendRule> rule = parseTargetRule(words, noun, names, r.acls_, errors);
        if (!rule) return;
        if (std::string problem = requestSideProblem(rule->condition, r.acls_); !problem.empty())
          return errors->push_back({0, std::move(problem)});
        rule->text = line.text;
        out->push_back(std::move(*rule));
      });
    }
  };
  std::vector<std::string_view> backendNames, cacheNames;
  for (const config::BackendConfig& b : config.backends) backendNames.push_back(b.name);
  for (const config::CacheConfig& c : config.caches) cacheNames.push_back(c.name);
  targetRules(fe.use_backend, "backend", backendNames, &r.useBackends_);
  targetRules(fe.cache_rules, "cache", cacheNames, &r.cacheRules_);
  r.defaultBackend_ = fe.default_backend.empty() ? -1 : config.findBackend(fe.default_backend);
  r.memo_.assign(r.acls_.size(), 0);
  if (!ok) return std::nullopt;
  return r;
}

void Router::forgetAcls() const {
  if (++memoRound_ < (1u << 31)) return;
  std::fill(memo_.begin(), memo_.end(), 0);  // wrapped: no stale round may match
  memoRound_ = 1;
}

bool Router::aclValue(int index, const RequestFacts& facts) const {
  uint32_t& memo = memo_[static_cast<size_t>(index)];
  if ((memo >> 1) != memoRound_) memo = memoRound_ << 1 | (acls_.evaluate(index, facts) ? 1u : 0u);
  return (memo & 1) != 0;
}

RouteResult Router::route(RequestFacts& facts, http::HeaderMap& headers, std::string& path, RouteTrace* trace) const {
  auto record = [trace](std::string_view list, size_t i, const std::string& text, bool fired) {
    trace->steps.push_back({std::string(list), i, text, fired});
  };
  auto value = [&](int acl) { return aclValue(acl, facts); };
  forgetAcls();
  for (size_t i = 0; i < requestRules_.size(); ++i) {
    const HttpRule& rule = requestRules_[i];
    const bool fires = rule.applies(value);
    if (trace != nullptr) record("http_request", i, rule.text, fires);
    if (!fires) continue;
    if (rule.terminal()) return {RouteResult::Kind::kReply, -1, &rule};
    if (rule.action == RuleAction::kAllow) break;
    if (applyEdit(rule, facts, headers, path)) forgetAcls();  // the request changed under them
  }
  for (size_t i = 0; i < staticConditions_.size(); ++i) {
    const bool fires = !staticConditions_[i] || staticConditions_[i]->holds(value);
    if (trace != nullptr) record("static", i, staticConditions_[i] ? staticConditions_[i]->text() : "(every request)", fires);
    if (fires) return {RouteResult::Kind::kStatic, -1, nullptr, static_cast<int>(i)};
  }
  return pickBackend(facts, trace);
}

int Router::pickCache(const RequestFacts& facts) const {
  auto value = [&](int acl) { return aclValue(acl, facts); };
  for (const UseBackendRule& rule : cacheRules_)
    if (!rule.condition || rule.condition->holds(value)) return rule.backend;
  return -1;
}

RouteResult Router::pickBackend(const RequestFacts& facts, RouteTrace* trace) const {
  auto record = [trace](std::string_view list, size_t i, const std::string& text, bool fired) {
    trace->steps.push_back({std::string(list), i, text, fired});
  };
  auto value = [&](int acl) { return aclValue(acl, facts); };
  for (size_t i = 0; i < useBackends_.size(); ++i) {
    const UseBackendRule& rule = useBackends_[i];
    const bool fires = !rule.condition || rule.condition->holds(value);
    if (trace != nullptr) record("use_backend", i, rule.text, fires);
    if (fires) return {RouteResult::Kind::kBackend, rule.backend, nullptr};
  }
  if (defaultBackend_ >= 0) {
    if (trace != nullptr) record("default_backend", 0, "", true);
    return {RouteResult::Kind::kBackend, defaultBackend_, nullptr};
  }
  return {};
}

bool Router::applyEdit(const HttpRule& rule, RequestFacts& facts, http::HeaderMap& headers, std::string& path) const {
  switch (rule.action) {
    case RuleAction::kSetHeader: headers.set(rule.name, rule.value); return true;
    case RuleAction::kAddHeader: headers.add(rule.name, rule.value); return true;
    case RuleAction::kDelHeader: headers.remove(rule.name); return true;
    case RuleAction::kSetPath:
    case RuleAction::kReplacePath: {
      std::string raw;
      if (rule.action == RuleAction::kSetPath) raw = rule.value;
      else if (!rule.regex->extract(path, rule.value, &raw)) return false;
      if (raw.empty() || raw[0] != '/') raw.insert(0, 1, '/');
      std::string normalised;
      if (!normalizePath(raw, normalised)) return false;  // a replacement made a bad %-escape: keep the path
      path = std::move(normalised);
      facts.path = path;
      return true;
    }
    default: return false;
  }
}

void Router::applyResponseRules(const RequestFacts& facts, http::HeaderMap& headers) const {
  forgetAcls();  // hdr() now reads the response's headers
  auto value = [&](int acl) { return aclValue(acl, facts); };
  for (const HttpRule& rule : responseRules_) {
    if (!rule.applies(value)) continue;
    switch (rule.action) {
      case RuleAction::kSetHeader: headers.set(rule.name, rule.value); break;
      case RuleAction::kAddHeader: headers.add(rule.name, rule.value); break;
      case RuleAction::kDelHeader: headers.remove(rule.name); break;
      default: break;
    }
    forgetAcls();
  }
}

}  // namespace weir::route
