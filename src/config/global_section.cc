// The `global` section: process-wide settings.

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>

#include <event2/util.h>

#include "sections.h"

namespace weir::config {
namespace {

constexpr int64_t kMaxThreads = 1024;
constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();

void readThreads(const YamlCursor& value, int* threads) {
  const std::optional<std::string> text = value.readString();
  if (!text) return;
  if (*text == "auto") {
    *threads = 0;
    return;
  }
  const bool numeric = !text->empty() && (std::isdigit(static_cast<unsigned char>(text->front())) ||
                                          text->front() == '-');
  if (!numeric) {
    value.error("'" + *text + "' is neither 'auto' nor an integer");
    return;
  }
  if (auto n = value.readInt(1, kMaxThreads)) *threads = static_cast<int>(*n);
}

void readLog(const YamlCursor& value, std::string* log) {
  std::optional<std::string> text = value.readString();
  if (!text) return;
  if (text->empty()) {
    value.error("expected stdout, stderr, none or a file path, got an empty string");
    return;
  }
  *log = std::move(*text);
}

void readLogFormat(const YamlCursor& value, LogFormat* format) {
  static constexpr std::array<std::string_view, 2> kNames{"httplog", "json"};
  static constexpr std::array kFormats{LogFormat::kHttpLog, LogFormat::kJson};
  if (auto index = value.readChoice(kNames)) *format = kFormats[*index];
}

void loadTune(const YamlCursor& section, HttpLimits* limits, StaticCacheConfig* cache) {
  if (!section.expect(NodeKind::kMapping)) return;
  const std::vector<KeyRule> rules{
      {"static_revalidate",
       [cache](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) cache->revalidate = *d;
       }},
      {"static_cache_max_file",
       [cache](const YamlCursor& v) {
         if (auto n = v.readSize(0, 64 * 1024 * 1024)) cache->max_file = *n;
       }},
      {"static_cache_size",
       [cache](const YamlCursor& v) {
         if (auto n = v.readSize(0, uint64_t{1} << 40)) cache->total = *n;
       }},
      {"http_max_head",
       [limits](const YamlCursor& v) {
         if (auto n = v.readSize(1024, kMaxUint32))
           limits->max_head_bytes = static_cast<uint32_t>(*n);
       }},
      {"http_max_headers",
       [limits](const YamlCursor& v) {
         if (auto n = v.readInt(1, 65535)) limits->max_headers = static_cast<uint32_t>(*n);
       }},
      {"http_max_body",
       [limits](const YamlCursor& v) {
         if (auto n = v.readSize(0, uint64_t{1} << 50)) limits->max_body_bytes = *n;
       }},
      {"http_max_uri",
       [limits](const YamlCursor& v) {
         if (auto n = v.readSize(1, kMaxUint32)) limits->max_uri_bytes = static_cast<uint32_t>(*n);
       }},
  };
  section.readKeys(rules);
}

/// `resolvers`: the name servers DNS discovery asks, numeric ("IP", "IP:port", "[IPv6]:port").
void readResolvers(const YamlCursor& list, std::vector<std::string>* resolvers) {
  if (!list.expect(NodeKind::kSequence)) return;
  for (const YamlCursor& item : list.items()) {
    std::optional<std::string> text = item.readString();
    if (!text) continue;
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (evutil_parse_sockaddr_port(text->c_str(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
      item.error("'" + *text + "' is not a numeric IP or IP:port (a name server is not looked up by name)");
      continue;
    }
    resolvers->push_back(std::move(*text));
  }
}

}  // namespace

void loadGlobal(const YamlCursor& section, GlobalConfig* global) {
  if (!section.expect(NodeKind::kMapping)) return;
  const std::vector<KeyRule> rules{
      {"threads", [global](const YamlCursor& v) { readThreads(v, &global->threads); }},
      {"maxconn",
       [global](const YamlCursor& v) {
         if (auto n = v.readInt(1)) global->maxconn = static_cast<int>(*n);
       }},
      {"log", [global](const YamlCursor& v) { readLog(v, &global->log); }},
      {"log_format", [global](const YamlCursor& v) { readLogFormat(v, &global->log_format); }},
      {"tune", [global](const YamlCursor& v) { loadTune(v, &global->limits, &global->static_cache); }},
      {"grace",
       [global](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) global->grace = *d;
       }},
      {"resolvers", [global](const YamlCursor& v) { readResolvers(v, &global->resolvers); }},
  };
  section.readKeys(rules);
}

}  // namespace weir::config
