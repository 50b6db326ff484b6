#pragma once
// The memory of cached responses, one per worker (no lock on the request path; each worker's
// share of `total_max_size` is its own): entries by primary key (host + target), each with
// its variants when the response had Vary (a variant is chosen by the request's values of the
// named headers, RFC 9111 4.1), LRU eviction across all variants by bytes, and purge of one
// URL or every URL under a prefix. Knows nothing of sockets: the session stores what the
// policy (cache_policy.h) allows and serves what lookup() returns. Owned by one worker.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weir/base/shard_counter.h"
#include "weir/http/header_map.h"

namespace weir::cache {

/// A stored response: what is needed to answer a hit without the server.
struct CachedResponse {
  int status = 200;
  std::string reason;
  http::HeaderMap headers;  // end-to-end fields as the server sent them (no framing, no hop-by-hop)
  std::string body;
  int64_t storedAtMs = 0;   // steady clock: Age and freshness
  int64_t expiresAtMs = 0;
  std::vector<std::pair<std::string, std::string>> varyValues;  // header name (lower case) -> request's value

  size_t bytes() const;
};

/// A snapshot of a cache's counters (one worker's share, or the sum of all).
struct CacheCounters {
  uint64_t lookups = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t stores = 0;
  uint64_t evictions = 0;
  uint64_t purged = 0;
  uint64_t collapsed = 0;  // misses answered by another request's response (MissCollapser)
  uint64_t bytes = 0;      // in use now
  uint64_t entries = 0;    // variants kept now

  CacheCounters& operator+=(const CacheCounters& o);
};

class ResponseCache {
 public:
  ResponseCache(uint64_t totalBytes, uint64_t maxObjectBytes) : totalBytes_(totalBytes), maxObjectBytes_(maxObjectBytes) {}

  /// A fresh variant of `key` matching `request`'s Vary values, or nullptr (a miss).
  std::shared_ptr<const CachedResponse> lookup(const std::string& key, const http::HeaderMap& request, int64_t nowMs);
  /// Keeps `response` under `key`, replacing the variant with the same Vary values; false
  /// when it is larger than max_object_size (or the whole cache).
  bool store(const std::string& key, std::shared_ptr<const CachedResponse> response);
  /// Removes the entries (all variants) of `target` on `host`, or of every target starting
  /// with it when `prefix`; an empty host means every host. Returns how many variants went.
  size_t purge(std::string_view host, std::string_view target, bool prefix);
  /// Counts a request answered by a response another request fetched (collapsed forwarding).
  void countCollapsed() { shard_.collapsed.add(); }

  /// The key of `target` requested on `host` (the request's Host header as sent).
  static void makeKey(std::string_view host, std::string_view target, std::string& key);
  /// Whether `request` selects `response` by the headers its Vary named (RFC 9111 4.1).
  static bool varyMatches(const CachedResponse& response, const http::HeaderMap& request);

  /// The value a request gives header `name` for Vary matching: every field joined with ", ",
  /// whitespace around commas removed; "" when absent.
  static std::string varyValue(const http::HeaderMap& request, std::string_view name);

  uint64_t bytes() const { return shard_.bytes.get(); }
  size_t entries() const { return lru_.size(); }
  /// From any thread (the stats): the counters are shards (base/shard_counter.h).
  CacheCounters counters() const;
  /// The event counters back to 0 (bytes and entries stay). Only from the owning thread.
  void clearCounters();

 private:
  struct Variant {
    std::shared_ptr<const CachedResponse> response;
    std::list<std::pair<std::string, const CachedResponse*>>::iterator lru;
  };
  using Variants = std::vector<Variant>;

  void removeVariant(std::map<std::string, Variants, std::less<>>::iterator it, size_t index);
  void evictBeyond(uint64_t limit);
  size_t removeEntry(std::map<std::string, Variants, std::less<>>::iterator it);

  uint64_t totalBytes_;
  uint64_t maxObjectBytes_;
  std::map<std::string, Variants, std::less<>> entries_;  // ordered: purge by prefix
  std::list<std::pair<std::string, const CachedResponse*>> lru_;  // most recent first: key, variant
  struct Shard {
    ShardCounter lookups, hits, misses, stores, evictions, purged, collapsed, bytes, entries;
  };
  Shard shard_;
};

}  // namespace weir::cache
