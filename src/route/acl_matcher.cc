#include "weir/route/acl_matcher.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "weir/config/key_suggester.h"

namespace weir::route {
namespace {

using Fetch = AclMatcher::Fetch;
using Method = AclMatcher::Method;

struct FetchInfo {
  std::string_view name;
  Fetch fetch;
  bool needsArg;
  Method defaultMethod;
  bool takesSuffix;  // path_beg, hdr_reg(x), ...
};

constexpr std::array kFetches{
    FetchInfo{"path", Fetch::kPath, false, Method::kStr, true},
    FetchInfo{"query", Fetch::kQuery, false, Method::kStr, true},
    FetchInfo{"url_param", Fetch::kUrlParam, true, Method::kStr, true},
    FetchInfo{"urlp", Fetch::kUrlParam, true, Method::kStr, true},
    FetchInfo{"hdr", Fetch::kHeader, true, Method::kStr, true},
    FetchInfo{"req.hdr", Fetch::kHeader, true, Method::kStr, true},
    FetchInfo{"host", Fetch::kHost, false, Method::kStr, true},
    FetchInfo{"method", Fetch::kMethod, false, Method::kStr, false},
    FetchInfo{"src", Fetch::kSrc, false, Method::kIp, false},
    FetchInfo{"ssl_fc", Fetch::kSslFc, false, Method::kBool, false},
    FetchInfo{"status", Fetch::kStatus, false, Method::kInt, false},
};

struct MethodName {
  std::string_view name;
  Method method;
};
constexpr std::array kMethods{
    MethodName{"str", Method::kStr}, MethodName{"beg", Method::kBeg}, MethodName{"end", Method::kEnd},
    MethodName{"sub", Method::kSub}, MethodName{"dir", Method::kDir}, MethodName{"dom", Method::kDom},
    MethodName{"reg", Method::kReg}, MethodName{"found", Method::kFound},
};

std::optional<Method> methodNamed(std::string_view name) {
  for (const MethodName& m : kMethods)
    if (m.name == name) return m.method;
  return std::nullopt;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool sameChars(std::string_view a, std::string_view b, bool ignoreCase) {
  if (a.size() != b.size()) return false;
  if (!ignoreCase) return a == b;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

/// Offset of `needle` in `hay` at or after `from`, or npos.
size_t findChars(std::string_view hay, std::string_view needle, size_t from, bool ignoreCase) {
  if (!ignoreCase) return hay.find(needle, from);
  if (needle.empty()) return from <= hay.size() ? from : std::string_view::npos;
  const char first = lower(needle[0]);
  for (size_t i = from; i + needle.size() <= hay.size(); ++i)
    if (lower(hay[i]) == first && sameChars(hay.substr(i + 1, needle.size() - 1), needle.substr(1), true)) return i;
  return std::string_view::npos;
}

bool isDelimiter(char c, Method m) { return c == '/' || c == '?' || (m == Method::kDom && (c == '.' || c == ':')); }

/// HAProxy's _dir/_dom: `word` occurs in `sample` with a delimiter (or the end) on each side.
bool containsWord(std::string_view sample, std::string_view word, Method m, bool ignoreCase) {
  if (word.empty()) return false;
  for (size_t at = findChars(sample, word, 0, ignoreCase); at != std::string_view::npos;
       at = findChars(sample, word, at + 1, ignoreCase)) {
    const size_t end = at + word.size();
    const bool before = at == 0 || isDelimiter(sample[at - 1], m);
    const bool after = end == sample.size() || isDelimiter(sample[end], m);
    if (before && after) return true;
  }
  return false;
}

/// "example.com:8080" -> "example.com", "[::1]:80" -> "[::1]".
std::string_view withoutPort(std::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) return host;
  if (host.front() != '[' && host.find(':') != colon) return host;  // a bare IPv6 literal
  return host.substr(0, colon);
}

std::optional<std::pair<int, int>> parseStatusRange(std::string_view text) {
  auto number = [](std::string_view s, int fallback) -> std::optional<int> {
    if (s.empty()) return fallback;
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v < 100 || v > 599) return std::nullopt;
    return v;
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    auto v = number(text, -1);
    if (!v || *v < 0) return std::nullopt;
    return std::pair{*v, *v};
  }
  auto lo = number(text.substr(0, colon), 100);
  auto hi = number(text.substr(colon + 1), 599);
  if (!lo || !hi || *lo > *hi || (colon == 0 && colon + 1 == text.size())) return std::nullopt;
  return std::pair{*lo, *hi};
}

}  // namespace

std::optional<AclMatcher> AclMatcher::parse(std::span<const RuleWord> words, std::vector<RuleError>* errors) {
  if (words.empty()) {
    errors->push_back({0, "expected a matcher (path_beg, hdr(NAME), src, ...)"});
    return std::nullopt;
  }
  AclMatcher m;
  for (const RuleWord& w : words) m.text_ += (m.text_.empty() ? "" : " ") + w.text;
  if (!m.parseName(words[0], errors)) return std::nullopt;
  size_t i = 1;
  for (; i < words.size() && !words[i].quoted && words[i].text.starts_with('-'); ++i) {
    const RuleWord& flag = words[i];
    if (flag.text == "--") {
      ++i;
      break;
    }
    if (flag.text == "-i") {
      m.ignoreCase_ = true;
    } else if (flag.text == "-m" && i + 1 < words.size()) {
      const std::optional<Method> method = methodNamed(words[i + 1].text);
      if (!method || m.method_ == Method::kIp || m.method_ == Method::kBool || m.method_ == Method::kInt) {
        errors->push_back({words[i + 1].offset, "'-m " + words[i + 1].text + "' does not apply to " + words[0].text +
                                                    " (-m takes str, beg, end, sub, dir, dom, reg or found)"});
        return std::nullopt;
      }
      m.method_ = *method;
      ++i;
    } else if (flag.text == "-m") {
      errors->push_back({flag.offset, "-m needs a method: str, beg, end, sub, dir, dom, reg or found"});
      return std::nullopt;
    } else {
      errors->push_back({flag.offset, "unknown flag '" + flag.text + "' (flags are -i, -m METHOD and --)"});
      return std::nullopt;
    }
  }
  if (!m.parseValues(words.subspan(i), words[0].offset, errors)) return std::nullopt;
  return m;
}

bool AclMatcher::parseName(const RuleWord& word, std::vector<RuleError>* errors) {
  std::string_view name = word.text;
  const size_t open = name.find('(');
  if (open != std::string_view::npos) {
    if (!name.ends_with(')') || open + 2 >= name.size()) {
      errors->push_back({word.offset, "'" + word.text + "': expected NAME(ARGUMENT), e.g. hdr(host)"});
      return false;
    }
    arg_ = name.substr(open + 1, name.size() - open - 2);
    name = name.substr(0, open);
  }
  std::optional<Method> suffix;
  const size_t underscore = name.rfind('_');
  if (underscore != std::string_view::npos) {
    suffix = methodNamed(name.substr(underscore + 1));
    if (suffix && (*suffix == Method::kStr || *suffix == Method::kFound)) suffix.reset();
    if (suffix) name = name.substr(0, underscore);
  }
  for (const FetchInfo& f : kFetches) {
    if (f.name != name || (suffix && !f.takesSuffix)) continue;
    if (f.needsArg != !arg_.empty()) {
      errors->push_back({word.offset, f.needsArg ? "'" + word.text + "' needs an argument, e.g. " + std::string(f.name) + "(x-name)"
                                                 : "'" + std::string(f.name) + "' takes no argument"});
      return false;
    }
    fetch_ = f.fetch;
    method_ = suffix.value_or(f.defaultMethod);
    if (fetch_ == Fetch::kHost) ignoreCase_ = true;  // host names are case-insensitive
    return true;
  }
  std::vector<std::string_view> known;
  for (const FetchInfo& f : kFetches) known.push_back(f.name);
  for (std::string_view s : {"path_beg", "path_end", "path_sub", "path_dir", "path_reg", "hdr_beg", "hdr_end", "hdr_reg"})
    known.push_back(s);
  const std::optional<std::string> near = config::suggestKey(word.text.substr(0, word.text.find('(')), known);
  errors->push_back({word.offset, "unknown matcher '" + word.text + "'" + (near ? ", did you mean '" + *near + "'?" : "")});
  return false;
}

bool AclMatcher::parseValues(std::span<const RuleWord> values, size_t nameOffset, std::vector<RuleError>* errors) {
  const bool takesNone = method_ == Method::kBool || method_ == Method::kFound;
  if (takesNone && !values.empty()) {
    errors->push_back({values[0].offset, "'" + text_.substr(0, text_.find(' ')) + "' takes no values"});
    return false;
  }
  if (!takesNone && values.empty()) {
    errors->push_back({nameOffset, "'" + text_ + "' needs at least one value to match"});
    return false;
  }
  for (const RuleWord& v : values) {
    std::string error;
    if (method_ == Method::kReg) {
      std::optional<Regex> re = Regex::compile(v.text, ignoreCase_, &error);
      if (re) regexes_.push_back(std::move(*re));
      else error = "invalid regular expression '" + v.text + "': " + error;
    } else if (method_ == Method::kIp) {
      if (auto bad = ips_.add(v.text)) error = *bad;
    } else if (method_ == Method::kInt) {
      if (auto range = parseStatusRange(v.text)) ranges_.push_back(*range);
      else error = "'" + v.text + "' is not a status or a range like 200:299";
    } else {
      std::string_view value = v.text;
      // _dir and _dom match whole words: delimiters at the ends of a value mean nothing.
      while ((method_ == Method::kDir || method_ == Method::kDom) && !value.empty() && isDelimiter(value.front(), method_)) value.remove_prefix(1);
      while ((method_ == Method::kDir || method_ == Method::kDom) && !value.empty() && isDelimiter(value.back(), method_)) value.remove_suffix(1);
      values_.emplace_back(value);
    }
    if (!error.empty()) {
      errors->push_back({v.offset, std::move(error)});
      return false;
    }
  }
  ips_.finish();
  return true;
}

template <typename Visit>
bool AclMatcher::anySample(const RequestFacts& facts, Visit&& visit) const {
  switch (fetch_) {
    case Fetch::kPath: return visit(facts.path);
    case Fetch::kQuery: return facts.hasQuery && visit(facts.query);
    case Fetch::kMethod: return visit(facts.method);
    case Fetch::kHost: {
      const std::string* host = facts.headers != nullptr ? facts.headers->get("host") : nullptr;
      return host != nullptr && visit(withoutPort(http::trimOws(*host)));
    }
    case Fetch::kHeader:
      if (facts.headers == nullptr) return false;
      // As HAProxy's hdr() in an ACL: every occurrence, every comma-separated value.
      for (const http::Header& h : *facts.headers) {
        if (!http::equalsIgnoreCase(h.name, arg_)) continue;
        std::string_view rest = h.value;
        while (true) {
          const size_t comma = rest.find(',');
          if (visit(http::trimOws(rest.substr(0, comma)))) return true;
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
      return false;
    case Fetch::kUrlParam: {
      std::string_view rest = facts.query;
      while (!rest.empty()) {
        const size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) == arg_ && visit(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)))
          return true;
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
      }
      return false;
    }
    case Fetch::kSrc:
    case Fetch::kSslFc:
    case Fetch::kStatus: return false;  // not string fetches: handled in matches()
  }
  return false;
}

bool AclMatcher::matches(const RequestFacts& facts) const {
  switch (method_) {
    case Method::kIp: return facts.src != nullptr && ips_.contains(*facts.src);
    case Method::kBool: return facts.ssl;
    case Method::kInt:
      return std::any_of(ranges_.begin(), ranges_.end(),
                         [&](const auto& r) { return facts.status >= r.first && facts.status <= r.second; });
    case Method::kFound: return anySample(facts, [](std::string_view) { return true; });
    default: return anySample(facts, [this](std::string_view sample) { return matchesSample(sample); });
  }
}

bool AclMatcher::matchesSample(std::string_view sample) const {
  if (method_ == Method::kReg)
    return std::any_of(regexes_.begin(), regexes_.end(), [&](const Regex& re) { return re.search(sample); });
  return std::any_of(values_.begin(), values_.end(), [&](const std::string& v) { return matchesValue(sample, v); });
}

bool AclMatcher::matchesValue(std::string_view sample, const std::string& value) const {
  switch (method_) {
    case Method::kStr: return sameChars(sample, value, ignoreCase_);
    case Method::kBeg: return sample.size() >= value.size() && sameChars(sample.substr(0, value.size()), value, ignoreCase_);
    case Method::kEnd:
      return sample.size() >= value.size() && sameChars(sample.substr(sample.size() - value.size()), value, ignoreCase_);
    case Method::kSub: return findChars(sample, value, 0, ignoreCase_) != std::string_view::npos;
    case Method::kDir:
    case Method::kDom: return containsWord(sample, value, method_, ignoreCase_);
    default: return false;
  }
}

}  // namespace weir::route
