// libFuzzer target: the input is a frontend's rule lines, one per line, as they come from the
// YAML: `acl NAME MATCHER ARGS...` declares a named ACL (the config's `acl:` map), any other
// line is a condition (`if api or !{ src 10.0.0.0/8 }`).
//
// splitRuleWords, AclMatcher::parse, AclTable and Condition::parse must never crash, whatever
// the line; every error they report points inside its line (for file:line:col); a condition
// that parses refers only to ACLs of the table, and evaluating it (against a few requests)
// never crashes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "weir/http/header_map.h"
#include "weir/net/address.h"
#include "weir/route/acl_table.h"
#include "weir/route/condition.h"
#include "weir/route/rule_words.h"

namespace {

using weir::route::AclMatcher;
using weir::route::AclTable;
using weir::route::Condition;
using weir::route::RequestFacts;
using weir::route::RuleError;
using weir::route::RuleWords;

constexpr size_t kMaxLines = 64;  // enough for any shape; bounds the time of one input

void checkErrors(std::string_view line, const std::vector<RuleError>& errors, size_t from) {
  for (size_t i = from; i < errors.size(); ++i)
    FUZZ_CHECK(errors[i].offset <= line.size() && !errors[i].message.empty(), "error '{}' at {} in a line of {}",
               errors[i].message, errors[i].offset, line.size());
}

/// Requests to evaluate conditions against; their members outlive the facts that view them.
struct Requests {
  weir::http::HeaderMap headers;
  weir::net::Address v4;
  weir::net::Address v6;
  std::vector<RequestFacts> facts;

  Requests() {
    headers.add("Host", "Example.COM:8080");
    headers.add("X-Forwarded-For", "10.0.0.1, 192.0.2.1");
    headers.add("Authorization", "Bearer x");
    std::string error;
    v4 = weir::net::resolve({"10.1.2.3", 40000}, &error).value_or(weir::net::Address());
    v6 = weir::net::resolve({"2001:db8::1", 40000}, &error).value_or(weir::net::Address());
    facts.push_back({"GET", "/api/v1/users", "debug=1&x=%20", true, &headers, &v4, false, 0});
    facts.push_back({"POST", "/", "", false, &headers, &v6, true, 503});
    facts.push_back({"", "", "", true, nullptr, nullptr, false, 0});
  }
};

void parseLine(std::string_view line, AclTable& acls, const Requests& requests) {
  const RuleWords split = weir::route::splitRuleWords(line);
  checkErrors(line, split.errors, 0);
  for (const auto& w : split.words) FUZZ_CHECK(w.offset <= line.size(), "word at {} of {}", w.offset, line.size());
  if (!split.errors.empty() || split.words.empty()) return;  // the loader stops at a split error too
  const std::span<const weir::route::RuleWord> words(split.words);
  std::vector<RuleError> errors;
  if (words.size() >= 2 && weir::route::isKeyword(words[0], "acl")) {
    const std::string& name = words[1].text;
    std::optional<AclMatcher> m = AclMatcher::parse(words.subspan(2), &errors);
    FUZZ_CHECK(m.has_value() || !errors.empty(), "matcher '{}' refused without an error", line);
    checkErrors(line, errors, 0);
    if (m) acls.addNamed(name, std::move(*m));
    else acls.addBroken(name);
    return;
  }
  const std::optional<Condition> c = Condition::parse(words, acls, &errors);
  FUZZ_CHECK(c.has_value() || !errors.empty(), "condition '{}' refused without an error", line);
  checkErrors(line, errors, 0);
  if (!c) return;
  for (int acl : c->acls()) FUZZ_CHECK(acl >= 0 && static_cast<size_t>(acl) < acls.size(), "ACL {} of {}", acl, acls.size());
  for (const RequestFacts& f : requests.facts) (void)c->holds(acls, f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Requests requests;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  AclTable acls;
  for (size_t n = 0; n < kMaxLines && !input.empty(); ++n) {
    const size_t eol = input.find('\n');
    parseLine(input.substr(0, eol), acls, requests);
    input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
  }
  return 0;
}
