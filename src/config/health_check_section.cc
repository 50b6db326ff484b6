// `backends.NAME.health_check`: active checks of the backend's servers.

#include <array>
#include <charconv>

#include "sections.h"

namespace weir::config {
namespace {

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

std::optional<int> parseStatus(std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 100 || n > 599) return std::nullopt;
  return n;
}

/// `GET /health` or `/health` (GET).
void readRequestLine(const YamlCursor& v, HealthCheckConfig* hc) {
  std::optional<std::string> text = v.readString();
  if (!text) return;
  const std::string_view line = *text;
  const size_t space = line.find(' ');
  const std::string_view method = space == std::string_view::npos ? "GET" : line.substr(0, space);
  const std::string_view path = space == std::string_view::npos ? line : line.substr(space + 1);
  if (!isToken(method) || path.empty() || path.front() != '/' || path.find_first_of(" \t\r\n") != std::string_view::npos) {
    v.error("expected 'METHOD /path' (for example 'GET /health'), got '" + *text + "'");
    return;
  }
  hc->method = std::string(method);
  hc->path = std::string(path);
}

/// `status 200`, `status 200-399` or `string TEXT`.
void readExpect(const YamlCursor& v, HealthCheckConfig* hc) {
  std::optional<std::string> text = v.readString();
  if (!text) return;
  const std::string_view s = *text;
  if (s.starts_with("string ") && s.size() > 7) {
    hc->expectString = std::string(s.substr(7));
    return;
  }
  if (s.starts_with("status ")) {
    const std::string_view range = s.substr(7);
    const size_t dash = range.find('-');
    const auto low = parseStatus(range.substr(0, dash));
    const auto high = dash == std::string_view::npos ? low : parseStatus(range.substr(dash + 1));
    if (low && high && *low <= *high) {
      hc->expectStatusLow = *low;
      hc->expectStatusHigh = *high;
      return;
    }
  }
  v.error("expected 'status N', 'status N-M' (100-599) or 'string TEXT', got '" + *text + "'");
}

void readHeaders(const YamlCursor& v, HealthCheckConfig* hc) {
  if (!v.expect(NodeKind::kMapping)) return;
  for (const YamlCursor& entry : v.entries("header")) {
    if (!isToken(entry.key())) {
      entry.errorAtKey("'" + entry.key() + "' is not a valid header name");
      continue;
    }
    std::optional<std::string> value = entry.readString();
    if (!value) continue;
    if (value->find_first_of("\r\n") != std::string::npos) {
      entry.error("a header value cannot contain a line break");
      continue;
    }
    hc->headers.emplace_back(entry.key(), std::move(*value));
  }
}

KeyRule durationRule(std::string_view key, std::optional<Millis>* target) {
  return {key, [target](const YamlCursor& v) {
            if (auto d = v.readDuration()) *target = *d;
          }};
}

constexpr std::array<std::string_view, 2> kInitStates{"up", "down"};

}  // namespace

void loadHealthCheck(const YamlCursor& section, HealthCheckConfig* hc) {
  hc->pos = section.pos();
  if (!section.expect(NodeKind::kMapping)) return;
  hc->enabled = true;
  const std::vector<KeyRule> rules{
      {"http", [hc](const YamlCursor& v) { readRequestLine(v, hc); }},
      {"tcp",
       [hc](const YamlCursor& v) {
         if (auto b = v.readBool()) hc->tcp = *b;
       }},
      {"host",
       [hc](const YamlCursor& v) {
         if (auto h = v.readString()) hc->host = *h;
       }},
      {"headers", [hc](const YamlCursor& v) { readHeaders(v, hc); }},
      {"expect", [hc](const YamlCursor& v) { readExpect(v, hc); }},
      {"interval",
       [hc](const YamlCursor& v) {
         if (auto d = v.readDuration()) hc->interval = *d;
       }},
      durationRule("fastinter", &hc->fastinter),
      durationRule("downinter", &hc->downinter),
      durationRule("timeout", &hc->timeout),
      {"rise",
       [hc](const YamlCursor& v) {
         if (auto n = v.readInt(1, 100)) hc->rise = static_cast<int>(*n);
       }},
      {"fall",
       [hc](const YamlCursor& v) {
         if (auto n = v.readInt(1, 100)) hc->fall = static_cast<int>(*n);
       }},
      {"port",
       [hc](const YamlCursor& v) {
         if (auto n = v.readInt(1, 65535)) hc->port = static_cast<int>(*n);
       }},
      {"init_state",
       [hc](const YamlCursor& v) {
         if (auto i = v.readChoice(kInitStates)) hc->initUp = *i == 0;
       }},
  };
  const KeySet seen = section.readKeys(rules);
  if (hc->tcp && (seen.contains("http") || seen.contains("expect") || seen.contains("host") || seen.contains("headers")))
    section.error("a tcp check sends nothing: 'http', 'expect', 'host' and 'headers' do not apply");
  if (!hc->tcp && !seen.contains("http")) section.error("missing required key 'http' (or 'tcp: true')");
}

}  // namespace weir::config
