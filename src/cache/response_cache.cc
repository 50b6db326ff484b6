#include "weir/cache/response_cache.h"

#include <algorithm>

namespace weir::cache {

size_t CachedResponse::bytes() const {
  size_t n = body.size() + reason.size() + 256;  // + bookkeeping
  for (const http::Header& h : headers) n += h.name.size() + h.value.size() + 32;
  for (const auto& [name, value] : varyValues) n += name.size() + value.size();
  return n;
}

CacheCounters& CacheCounters::operator+=(const CacheCounters& o) {
  lookups += o.lookups;
  hits += o.hits;
  misses += o.misses;
  stores += o.stores;
  evictions += o.evictions;
  purged += o.purged;
  collapsed += o.collapsed;
  bytes += o.bytes;
  entries += o.entries;
  return *this;
}

CacheCounters ResponseCache::counters() const {
  return {shard_.lookups.get(), shard_.hits.get(),      shard_.misses.get(), shard_.stores.get(), shard_.evictions.get(),
          shard_.purged.get(),  shard_.collapsed.get(), shard_.bytes.get(),  shard_.entries.get()};
}

void ResponseCache::clearCounters() {
  for (ShardCounter* c : {&shard_.lookups, &shard_.hits, &shard_.misses, &shard_.stores, &shard_.evictions, &shard_.purged,
                          &shard_.collapsed})
    c->set(0);
}

std::string ResponseCache::varyValue(const http::HeaderMap& request, std::string_view name) {
  std::string out;
  for (const http::Header& h : request) {
    if (!http::equalsIgnoreCase(h.name, name)) continue;
    std::string_view rest = h.value;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view item = http::trimOws(rest.substr(0, comma));
      if (!item.empty()) {
        if (!out.empty()) out += ", ";
        out += item;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::shared_ptr<const CachedResponse> ResponseCache::lookup(const std::string& key, const http::HeaderMap& request,
                                                            int64_t nowMs) {
  shard_.lookups.add();
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Variants& variants = it->second;
    for (size_t i = 0; i < variants.size(); ++i) {
      const CachedResponse& r = *variants[i].response;
      if (!varyMatches(r, request)) continue;
      if (nowMs >= r.expiresAtMs) {  // stale: no revalidation here, so it goes
        removeVariant(it, i);
        break;
      }
      lru_.splice(lru_.begin(), lru_, variants[i].lru);
      shard_.hits.add();
      return variants[i].response;
    }
  }
  shard_.misses.add();
  return nullptr;
}

bool ResponseCache::varyMatches(const CachedResponse& response, const http::HeaderMap& request) {
  return std::all_of(response.varyValues.begin(), response.varyValues.end(),
                     [&](const auto& v) { return varyValue(request, v.first) == v.second; });
}

void ResponseCache::makeKey(std::string_view host, std::string_view target, std::string& key) {
  key.assign(host);
  key += '\n';
  key += target;
}

bool ResponseCache::store(const std::string& key, std::shared_ptr<const CachedResponse> response) {
  const size_t size = response->bytes();
  if (size > maxObjectBytes_ || size > totalBytes_) return false;
  auto it = entries_.try_emplace(key).first;
  Variants& variants = it->second;
  for (size_t i = 0; i < variants.size(); ++i) {
    if (variants[i].response == response) {  // the same one again (collapsed requests): just recently used
      lru_.splice(lru_.begin(), lru_, variants[i].lru);
      return true;
    }
    if (variants[i].response->varyValues == response->varyValues) {
      removeVariant(it, i);
      it = entries_.try_emplace(key).first;  // removeVariant may have erased the key
      break;
    }
  }
  lru_.emplace_front(key, response.get());
  it->second.push_back({std::move(response), lru_.begin()});
  shard_.bytes.add(size);
  shard_.entries.add();
  shard_.stores.add();
  evictBeyond(totalBytes_);
  return true;
}

void ResponseCache::removeVariant(std::map<std::string, Variants, std::less<>>::iterator it, size_t index) {
  Variants& variants = it->second;
  shard_.bytes.sub(variants[index].response->bytes());
  shard_.entries.sub();
  lru_.erase(variants[index].lru);
  variants.erase(variants.begin() + static_cast<std::ptrdiff_t>(index));
  if (variants.empty()) entries_.erase(it);
}

void ResponseCache::evictBeyond(uint64_t limit) {
  while (shard_.bytes.get() > limit && !lru_.empty()) {
    // Not a structured binding: clang before 16 cannot capture one in the lambda below.
    const std::string& key = lru_.back().first;
    const CachedResponse* victim = lru_.back().second;
    auto it = entries_.find(key);
    Variants& variants = it->second;
    const auto pos = std::find_if(variants.begin(), variants.end(), [&](const Variant& v) { return v.response.get() == victim; });
    removeVariant(it, static_cast<size_t>(pos - variants.begin()));
    shard_.evictions.add();
  }
}

size_t ResponseCache::removeEntry(std::map<std::string, Variants, std::less<>>::iterator it) {
  const size_t n = it->second.size();
  for (const Variant& v : it->second) {
    shard_.bytes.sub(v.response->bytes());
    shard_.entries.sub();
    lru_.erase(v.lru);
  }
  entries_.erase(it);
  return n;
}

size_t ResponseCache::purge(std::string_view host, std::string_view target, bool prefix) {
  size_t removed = 0;
  const auto matches = [&](std::string_view t) { return prefix ? t.starts_with(target) : t == target; };
  if (host.empty()) {  // every host: the keys are ordered by host first, so all are looked at
    for (auto it = entries_.begin(); it != entries_.end();) {
      const std::string_view key = it->first;
      const size_t nl = key.find('\n');
      auto next = std::next(it);
      if (matches(key.substr(nl + 1))) removed += removeEntry(it);
      it = next;
    }
  } else {
    std::string key;
    makeKey(host, target, key);
    auto it = prefix ? entries_.lower_bound(key) : entries_.find(key);
    while (it != entries_.end() && (prefix ? std::string_view(it->first).starts_with(key) : it->first == key)) {
      auto next = std::next(it);
      removed += removeEntry(it);
      if (!prefix) break;
      it = next;
    }
  }
  shard_.purged.add(removed);
  return removed;
}

}  // namespace weir::cache
