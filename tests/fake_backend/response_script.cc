#include "response_script.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace weir::fake {
namespace {

constexpr uint64_t kMaxBodyBytes = uint64_t{1} << 40;
constexpr uint64_t kMaxDelayMs = uint64_t{24} * 3600 * 1000;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}


std::optional<uint64_t> parseNumber(std::string_view text, uint64_t max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<bool> parseFlag(std::string_view text) {
  if (text == "1" || text == "true" || text.empty()) return true;
  if (text == "0" || text == "false") return false;
  return std::nullopt;
}

/// Applies one decoded key/value pair; returns false if the value is invalid, sets `known`.
bool applyParam(std::string_view key, const std::string& value, ResponseScript& s, bool& known) {
  known = true;
  if (key == "status") {
    auto n = parseNumber(value, 599);
    if (!n || *n < 100) return false;
    s.status = static_cast<int>(*n);
    return true;
  }
  if (key == "size") return (s.size = parseNumber(value, kMaxBodyBytes)).has_value();
  if (key == "close_after") return (s.closeAfter = parseNumber(value, kMaxBodyBytes)).has_value();
  if (key == "stall_after") return (s.stallAfter = parseNumber(value, kMaxBodyBytes)).has_value();
  if (key == "delay") {
    auto n = parseNumber(value, kMaxDelayMs);
    if (n) s.delayMs = static_cast<uint32_t>(*n);
    return n.has_value();
  }
  if (key == "header") {
    size_t colon = value.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    size_t start = value.find_first_not_of(' ', colon + 1);
    s.headers.push_back({value.substr(0, colon), start == std::string::npos ? std::string() : value.substr(start)});
    return true;
  }
  struct FlagKey {
    std::string_view name;
    bool ResponseScript::*field;
  };
  static constexpr FlagKey kFlags[] = {{"chunked", &ResponseScript::chunked},
                                       {"echo", &ResponseScript::echo},
                                       {"noresponse", &ResponseScript::noResponse},
                                       {"reset", &ResponseScript::reset},
                                       {"bad", &ResponseScript::bad},
                                       {"close", &ResponseScript::close},
                                       {"upgrade", &ResponseScript::upgrade},
                                       {"drop_next", &ResponseScript::dropNext}};
  for (const FlagKey& flag : kFlags) {
    if (key != flag.name) continue;
    auto b = parseFlag(value);
    if (b) s.*flag.field = *b;
    return b.has_value();
  }
  known = false;
  return true;
}

}  // namespace

std::string percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hexValue(in[i + 1]);
      int lo = hexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::string applyScriptParams(std::string_view params, UnknownKeys unknown, ResponseScript& script) {
  while (!params.empty()) {
    size_t amp = params.find('&');
    std::string_view pair = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = percentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1));
    bool known = false;
    if (!applyParam(key, value, script, known)) {
      return fmt::format("invalid value for {}: '{}'", key, value);
    }
    if (!known && unknown == UnknownKeys::kReject) return fmt::format("unknown key '{}'", key);
  }
  return {};
}

std::string_view targetPath(std::string_view target) {
  if (!target.starts_with('/')) {  // absolute-form: skip "scheme://authority"
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = target.find_first_of("/?#", scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  return target.substr(0, target.find_first_of("?#"));
}

std::string_view targetQuery(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  return query.substr(0, query.find('#'));
}

std::string RouteTable::add(std::string_view pathAndSpec) {
  size_t eq = pathAndSpec.find('=');
  if (eq == std::string_view::npos || !pathAndSpec.starts_with('/')) {
    return fmt::format("--route '{}': expected PATH=SPEC with PATH starting with '/'", pathAndSpec);
  }
  std::string error = set(pathAndSpec.substr(0, eq), pathAndSpec.substr(eq + 1));
  return error.empty() ? error : fmt::format("--route '{}': {}", pathAndSpec, error);
}

std::string RouteTable::set(std::string_view path, std::string_view spec) {
  if (!path.starts_with('/')) return fmt::format("path '{}' does not start with '/'", path);
  Route route{std::string(path), {}};
  std::string error = applyScriptParams(spec, UnknownKeys::kReject, route.script);
  if (!error.empty()) return error;
  std::lock_guard lock(mutex_);
  auto it = std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) { return r.path == path; });
  if (spec.empty()) {
    if (it != routes_.end()) routes_.erase(it);
    return {};
  }
  if (it != routes_.end()) {
    *it = std::move(route);
  } else {
    routes_.push_back(std::move(route));
  }
  return {};
}

std::optional<ResponseScript> RouteTable::find(std::string_view path) const {
  std::lock_guard lock(mutex_);
  for (const Route& route : routes_) {
    if (route.path == path) return route.script;
  }
  return std::nullopt;
}

}  // namespace weir::fake
