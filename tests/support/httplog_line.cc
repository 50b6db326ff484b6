#include "support/httplog_line.h"

#include <cctype>
#include <charconv>
#include <utility>

namespace weir::test {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  for (;;) {
    const std::size_t at = text.find(separator);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::optional<long long> toNumber(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool hasShape(std::string_view text, std::string_view pattern) {
  if (text.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool fits = pattern[i] == '9'   ? std::isdigit(c) != 0
                      : pattern[i] == 'A' ? std::isupper(c) != 0
                      : pattern[i] == 'a' ? std::islower(c) != 0
                                          : text[i] == pattern[i];
    if (!fits) return false;
  }
  return true;
}


std::optional<HttpLogLine> parseHttpLog(std::string_view line) {
  const std::size_t quote = line.find('"');
  if (quote == std::string_view::npos || quote == 0 || line.size() < quote + 2 || line.back() != '"' ||
      line[quote - 1] != ' ') {
    return std::nullopt;
  }
  HttpLogLine l;
  l.requestLine = line.substr(quote + 1, line.size() - quote - 2);
  const std::vector<std::string> t = split(line.substr(0, quote - 1), ' ');
  if (t.size() != 12 || t[7] != "-" || t[8] != "-" || t[9].size() != 4) return std::nullopt;
  const std::size_t colon = t[0].rfind(':');
  const std::size_t slash = t[3].find('/');
  const std::vector<std::string> timers = split(t[4], '/');
  const std::vector<std::string> counters = split(t[10], '/');
  const std::vector<std::string> queues = split(t[11], '/');
  if (colon == std::string::npos || slash == std::string::npos || timers.size() != 5 || counters.size() != 5 ||
      queues.size() != 2 || t[1].size() < 2 || t[1].front() != '[' || t[1].back() != ']') {
    return std::nullopt;
  }
  l.clientIp = t[0].substr(0, colon);
  l.acceptDate = t[1].substr(1, t[1].size() - 2);
  l.frontend = t[2];
  l.backend = t[3].substr(0, slash);
  l.server = t[3].substr(slash + 1);
  l.termination = t[9];
  std::string retries = counters[4];
  if (!retries.empty() && retries.front() == '+') retries.erase(0, 1);  // HAProxy: "+N" after a redispatch
  const std::vector<std::pair<std::string, long long*>> numbers = {{t[0].substr(colon + 1), &l.clientPort},
                                                                   {timers[0], &l.TR},
                                                                   {timers[1], &l.Tw},
                                                                   {timers[2], &l.Tc},
                                                                   {timers[3], &l.Tr},
                                                                   {timers[4], &l.Ta},
                                                                   {t[5], &l.status},
                                                                   {t[6], &l.bytes},
                                                                   {retries, &l.retries},
                                                                   {counters[3], &l.serverConns},
                                                                   {queues[1], &l.backendQueue}};
  for (const auto& [text, field] : numbers) {
    const std::optional<long long> value = toNumber(text);
    if (!value) return std::nullopt;
    *field = *value;
  }
  for (const std::string& other : {counters[0], counters[1], counters[2], queues[0]}) {
    if (!toNumber(other)) return std::nullopt;
  }
  if (!hasShape(l.acceptDate, "99/Aaa/9999:99:99:99.999") || l.bytes < 0) return std::nullopt;
  return l;
}

}  // namespace weir::test
