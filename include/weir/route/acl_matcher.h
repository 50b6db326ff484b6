#pragma once
// One ACL test in HAProxy's syntax: a fetch (path, hdr(NAME), src, ...), a match method
// (exact, _beg, _end, _sub, _dir, _dom, _reg, or -m found), flags (-i) and values, OR-ed.
//   path_beg /api /v1        hdr(host) -i example.com       src 10.0.0.0/8 ::1
//   path_reg (?i)\.css$      url_param(debug) 1             hdr(authorization) -m found
// Parsed and compiled once at load; matches() reads views of the request and allocates
// nothing. Immutable; copyable (each worker keeps its own copy, see regex.h).

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "weir/route/ip_set.h"
#include "weir/route/regex.h"
#include "weir/route/request_facts.h"
#include "weir/route/rule_words.h"

namespace weir::route {

class AclMatcher {
 public:
  /// Parses `words` (the matcher name first). On failure returns nullopt with errors added.
  static std::optional<AclMatcher> parse(std::span<const RuleWord> words, std::vector<RuleError>* errors);

  bool matches(const RequestFacts& facts) const;
  /// True for matchers of the response (status): usable in http_response rules only.
  bool needsResponse() const { return fetch_ == Fetch::kStatus; }
  /// The matcher as written ("path_beg /api"), for `weir explain`.
  const std::string& text() const { return text_; }

  enum class Fetch { kPath, kQuery, kUrlParam, kHeader, kHost, kMethod, kSrc, kSslFc, kStatus };
  enum class Method { kStr, kBeg, kEnd, kSub, kDir, kDom, kReg, kFound, kIp, kBool, kInt };

 private:
  AclMatcher() = default;
  bool parseName(const RuleWord& word, std::vector<RuleError>* errors);
  bool parseValues(std::span<const RuleWord> values, size_t nameOffset, std::vector<RuleError>* errors);
  bool matchesSample(std::string_view sample) const;
  bool matchesValue(std::string_view sample, const std::string& value) const;
  template <typename Visit>
  bool anySample(const RequestFacts& facts, Visit&& visit) const;

  Fetch fetch_ = Fetch::kPath;
  Method method_ = Method::kStr;
  bool ignoreCase_ = false;
  std::string arg_;  // header or parameter name
  std::vector<std::string> values_;
  std::vector<Regex> regexes_;
  std::vector<std::pair<int, int>> ranges_;  // status: inclusive ranges
  IpSet ips_;
  std::string text_;
};

}  // namespace weir::route
