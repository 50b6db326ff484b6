#include "weir/route/http_rule.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "weir/route/path_normalizer.h"

namespace weir::route {
namespace {

constexpr size_t kMaxReplyFile = 1024 * 1024;

struct ActionName {
  std::string_view name;
  RuleAction action;
  bool responseSide;  // allowed in http_response
};
constexpr std::array kActions{
    ActionName{"return", RuleAction::kReturn, false},       ActionName{"redirect", RuleAction::kRedirect, false},
    ActionName{"deny", RuleAction::kDeny, false},           ActionName{"allow", RuleAction::kAllow, false},
    ActionName{"set-header", RuleAction::kSetHeader, true}, ActionName{"add-header", RuleAction::kAddHeader, true},
    ActionName{"del-header", RuleAction::kDelHeader, true}, ActionName{"set-path", RuleAction::kSetPath, false},
    ActionName{"replace-path", RuleAction::kReplacePath, false},
};

bool isTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// Parses words one by one, reporting problems at the word that has them.
class ArgReader {
 public:
  ArgReader(std::span<const RuleWord> words, size_t anchor, std::vector<RuleError>* errors)
      : words_(words), anchor_(anchor), errors_(errors) {}

  bool done() const { return i_ >= words_.size(); }
  const RuleWord& peek() const { return words_[i_]; }
  bool ok() const { return ok_; }
  void fail(size_t offset, std::string message) {
    if (ok_) errors_->push_back({offset, std::move(message)});
    ok_ = false;
  }
  /// The next word, the value of option `what`.
  const RuleWord* next(std::string_view what) {
    if (i_ < words_.size()) return &words_[i_++];
    fail(i_ > 0 ? words_[i_ - 1].offset : anchor_, std::string(what) + " needs a value");
    return nullptr;
  }
  std::optional<int> status(std::string_view what, int min, int max) {
    const RuleWord* w = next(what);
    if (w == nullptr) return std::nullopt;
    int v = 0;
    auto [end, ec] = std::from_chars(w->text.data(), w->text.data() + w->text.size(), v);
    if (ec == std::errc() && end == w->text.data() + w->text.size() && v >= min && v <= max) return v;
    fail(w->offset, std::string(what) + " must be a status from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + w->text + "'");
    return std::nullopt;
  }
  bool headerName(const RuleWord& w, bool forWrite) {
    const bool valid = !w.text.empty() && std::all_of(w.text.begin(), w.text.end(), isTokenChar);
    if (!valid) return fail(w.offset, "'" + w.text + "' is not a valid header name"), false;
    static constexpr std::array kManaged{"content-length", "transfer-encoding", "connection", "keep-alive",
                                         "upgrade", "te", "trailer", "proxy-connection"};
    for (std::string_view m : kManaged)
      if (forWrite && http::equalsIgnoreCase(w.text, m))
        return fail(w.offset, "'" + w.text + "' describes the connection or the framing and is managed by weir"), false;
    return true;
  }
  bool fieldValue(const RuleWord& w, std::string_view what) {
    if (w.text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      fail(w.offset, std::string(what) + " must not contain CR, LF or NUL");
      return false;
    }
    if (w.text.find("%[") != std::string::npos) {
      fail(w.offset, "HAProxy log-format expressions (%[...]) are not supported; write the value literally");
      return false;
    }
    return true;
  }

 private:
  std::span<const RuleWord> words_;
  size_t anchor_;
  std::vector<RuleError>* errors_;
  size_t i_ = 0;
  bool ok_ = true;
};

std::optional<std::string> readReplyFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path + "'";
    return std::nullopt;
  }
  std::ostringstream body;
  body << in.rdbuf();
  if (body.str().size() > kMaxReplyFile) {
    *error = "'" + path + "' is larger than 1 MiB";
    return std::nullopt;
  }
  return body.str();
}

/// return / deny options: status, content-type, string, file, hdr.
void parseReply(ArgReader& args, const std::string& baseDir, bool deny, ReplySpec* reply) {
  bool hasBody = false;
  size_t statusOffset = 0;
  while (!args.done() && args.ok()) {
    const RuleWord& opt = args.peek();
    args.next("");
    if (opt.text == "status" || (deny && opt.text == "deny_status")) {
      statusOffset = args.done() ? opt.offset : args.peek().offset;
      if (auto s = args.status(opt.text, 200, 599)) reply->status = *s;
    } else if (opt.text == "content-type") {
      if (const RuleWord* v = args.next("content-type"); v && args.fieldValue(*v, "content-type")) reply->contentType = v->text;
    } else if (opt.text == "string" || opt.text == "file") {
      const RuleWord* v = args.next(opt.text);
      if (v == nullptr) break;
      if (hasBody) args.fail(opt.offset, "only one of 'string' and 'file' may give the body");
      hasBody = true;
      if (opt.text == "string") {
        reply->body = v->text;
        continue;
      }
      std::string error;
      const std::string path = v->text.starts_with('/') || baseDir.empty() ? v->text : baseDir + "/" + v->text;
      if (auto body = readReplyFile(path, &error)) reply->body = std::move(*body);
      else args.fail(v->offset, error);
    } else if (opt.text == "hdr") {
      const RuleWord* name = args.next("hdr");
      const RuleWord* value = name ? args.next("hdr " + name->text) : nullptr;
      if (!value || !args.headerName(*name, true) || !args.fieldValue(*value, "a header value")) break;
      if (http::equalsIgnoreCase(name->text, "content-type")) reply->contentType = value->text;  // one, not two
      else reply->headers.push_back({name->text, value->text});
    } else {
      args.fail(opt.offset, "unknown option '" + opt.text + "' (expected status, content-type, string, file or hdr)");
    }
  }
  if (hasBody && reply->contentType.empty()) reply->contentType = "text/plain";
  if ((reply->status == 204 || reply->status == 304) && !reply->body.empty())
    args.fail(statusOffset, "a " + std::to_string(reply->status) + " response cannot have a body");
}

void parseRedirect(ArgReader& args, size_t anchor, RedirectSpec* r) {
  bool hasTarget = false;
  while (!args.done() && args.ok()) {
    const RuleWord& opt = args.peek();
    args.next("");
    if (opt.text == "scheme" || opt.text == "location" || opt.text == "prefix") {
      const RuleWord* v = args.next(opt.text);
      if (v == nullptr || !args.fieldValue(*v, opt.text)) break;
      if (hasTarget) args.fail(opt.offset, "only one of scheme, location and prefix");
      hasTarget = true;
      r->kind = opt.text == "scheme" ? RedirectSpec::Kind::kScheme
                : opt.text == "location" ? RedirectSpec::Kind::kLocation : RedirectSpec::Kind::kPrefix;
      r->value = v->text;
    } else if (opt.text == "code") {
      const RuleWord* v = args.next("code");
      if (v == nullptr) break;
      static constexpr std::array kCodes{"301", "302", "303", "307", "308"};
      if (std::find(kCodes.begin(), kCodes.end(), v->text) == kCodes.end()) args.fail(v->offset, "code must be 301, 302, 303, 307 or 308");
      else r->code = std::stoi(v->text);
    } else if (opt.text == "drop-query") {
      r->dropQuery = true;
    } else {
      args.fail(opt.offset, "unknown option '" + opt.text + "' (expected scheme, location, prefix, code or drop-query)");
    }
  }
  if (!hasTarget) args.fail(anchor, "redirect needs 'scheme', 'location' or 'prefix'");
}

void parseAction(ArgReader& args, size_t anchor, const std::string& baseDir, HttpRule* rule) {
  auto exactly = [&](size_t n, std::string_view usage) -> std::vector<const RuleWord*> {
    std::vector<const RuleWord*> out;
    while (!args.done() && out.size() <= n) out.push_back(args.next(""));
    if (out.size() != n) args.fail(out.size() > n ? out[n]->offset : anchor, "usage: " + std::string(usage));
    return out;
  };
  switch (rule->action) {
    case RuleAction::kReturn: parseReply(args, baseDir, false, &rule->reply); break;
    case RuleAction::kDeny:
      rule->reply.status = 403;
      parseReply(args, baseDir, true, &rule->reply);
      break;
    case RuleAction::kRedirect: parseRedirect(args, anchor, &rule->redirect); break;
    case RuleAction::kAllow: exactly(0, "allow [if COND]"); break;
    case RuleAction::kSetHeader:
    case RuleAction::kAddHeader: {
      auto w = exactly(2, rule->text.substr(0, rule->text.find(' ')) + " NAME VALUE");
      if (!args.ok() || !args.headerName(*w[0], true) || !args.fieldValue(*w[1], "a header value")) break;
      rule->name = w[0]->text;
      rule->value = w[1]->text;
      break;
    }
    case RuleAction::kDelHeader: {
      auto w = exactly(1, "del-header NAME");
      if (args.ok() && args.headerName(*w[0], false)) rule->name = w[0]->text;
      break;
    }
    case RuleAction::kSetPath: {
      auto w = exactly(1, "set-path PATH");
      if (!args.ok()) break;
      const bool valid = w[0]->text.starts_with('/') &&
                         std::none_of(w[0]->text.begin(), w[0]->text.end(), [](char c) { return c <= ' ' || c == '?' || c == 0x7f; });
      std::string normalised;
      if (!valid) args.fail(w[0]->offset, "set-path needs a path starting with '/' without spaces, controls or '?'");
      else if (!normalizePath(w[0]->text, normalised)) args.fail(w[0]->offset, "set-path has a malformed %-escape or a '..;' segment");
      rule->value = w[0]->text;
      break;
    }
    case RuleAction::kReplacePath: {
      auto w = exactly(2, "replace-path REGEX REPLACEMENT");
      if (!args.ok()) break;
      std::string error;
      rule->regex = Regex::compile(w[0]->text, false, &error);
      if (!rule->regex) {
        args.fail(w[0]->offset, "invalid regular expression '" + w[0]->text + "': " + error);
        break;
      }
      if (std::string bad = rule->regex->checkRewrite(w[1]->text); !bad.empty()) args.fail(w[1]->offset, bad);
      if (std::any_of(w[1]->text.begin(), w[1]->text.end(), [](char c) { return c <= ' ' || c == '?' || c == 0x7f; }))
        args.fail(w[1]->offset, "the replacement must not contain spaces, controls or '?'");
      rule->value = w[1]->text;
      break;
    }
  }
}

}  // namespace

std::optional<HttpRule> parseHttpRule(std::span<const RuleWord> words, RuleSide side, AclTable& acls,
                                      const std::string& baseDir, std::vector<RuleError>* errors) {
  if (words.empty()) {
    errors->push_back({0, "empty rule"});
    return std::nullopt;
  }
  HttpRule rule;
  for (const RuleWord& w : words) rule.text += (rule.text.empty() ? "" : " ") + w.text;
  const auto known = std::find_if(kActions.begin(), kActions.end(), [&](const ActionName& a) { return a.name == words[0].text; });
  if (known == kActions.end() || (side == RuleSide::kResponse && !known->responseSide)) {
    const std::string_view list = side == RuleSide::kRequest
                                      ? "return, redirect, deny, allow, set-header, add-header, del-header, set-path, replace-path"
                                      : "set-header, add-header, del-header";
    errors->push_back({words[0].offset, "unknown action '" + words[0].text + "' (expected " + std::string(list) + ")"});
    return std::nullopt;
  }
  rule.action = known->action;
  size_t cond = 1;
  while (cond < words.size() && !isKeyword(words[cond], "if") && !isKeyword(words[cond], "unless")) ++cond;
  const size_t errorsBefore = errors->size();
  ArgReader args(words.subspan(1, cond - 1), words[0].offset, errors);
  parseAction(args, words[0].offset, baseDir, &rule);
  if (cond < words.size()) rule.condition = Condition::parse(words.subspan(cond), acls, errors);
  if (errors->size() != errorsBefore) return std::nullopt;
  return rule;
}

std::string redirectLocation(const RedirectSpec& r, std::string_view host, std::string_view path, std::string_view query,
                             bool hasQuery) {
  std::string location;
  switch (r.kind) {
    case RedirectSpec::Kind::kLocation: return r.value;
    case RedirectSpec::Kind::kScheme:
      location.append(r.value).append("://").append(host);
      break;
    case RedirectSpec::Kind::kPrefix:
      if (r.value != "/") location.append(r.value);  // "prefix /" keeps the path as it is
      break;
  }
  location.append(path);
  if (hasQuery && !r.dropQuery) location.append("?").append(query);
  return location;
}

}  // namespace weir::route
