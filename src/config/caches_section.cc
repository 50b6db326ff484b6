// The `caches` section and a frontend's `cache` rules.

#include "sections.h"

namespace weir::config {

void loadCaches(const YamlCursor& section, Config* config) {
  if (!section.expect(NodeKind::kMapping)) return;
  for (const YamlCursor& entry : section.entries("cache")) {
    CacheConfig cache;
    cache.name = entry.key();
    cache.pos = entry.keyPos();
    if (std::optional<std::string> invalid = nameError(cache.name)) entry.errorAtKey(*invalid);
    if (entry.expect(NodeKind::kMapping)) {
      const std::vector<KeyRule> rules{
          {"total_max_size",
           [&](const YamlCursor& v) {
             if (auto n = v.readSize(1024, uint64_t{1} << 40)) cache.total_max_size = *n;
           }},
          {"max_object_size",
           [&](const YamlCursor& v) {
             if (auto n = v.readSize(1, uint64_t{1} << 32)) cache.max_object_size = *n;
           }},
          {"max_age",
           [&](const YamlCursor& v) {
             if (auto d = v.readDuration()) cache.max_age = *d;
           }},
      };
      entry.readKeys(rules);
      if (cache.max_object_size > cache.total_max_size) entry.errorAtKey("max_object_size is larger than total_max_size");
    }
    config->caches.push_back(std::move(cache));
  }
}

void readCacheRules(const YamlCursor& value, std::vector<RuleLine>* out, RuleCursors* cursors) {
  if (!value.expect(NodeKind::kSequence)) return;
  for (const YamlCursor& item : value.items()) {
    if (!item.expect(NodeKind::kMapping)) continue;
    const std::vector<KeyRule> rules{
        {"use",
         [&](const YamlCursor& v) {
           if (std::optional<std::string> text = v.readString()) {
             cursors->emplace(v.path(), v);
             out->push_back(RuleLine{std::move(*text), v.textPos(), v.path()});
           }
         }},
    };
    item.require(item.readKeys(rules), "use");
  }
}

}  // namespace weir::config
