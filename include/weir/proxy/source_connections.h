#pragma once
// Client connections open per source address, for a frontend's `maxconn_per_src` (nginx's
// limit_conn, HAProxy's `tcp-request connection reject if { src_conn_cur ge N }`). One table
// for the process, shared by every worker and every config generation, so a reload neither
// resets nor splits the counts. Entries are single 64-bit words (a tag of the key and a count)
// changed by compare-and-swap: no lock, and a worker touches the table only on accept and close.
//
// It is an approximation that fails open, never closed: a key is hashed to a 40-bit tag, so two
// sources that collide share one count (1 in 2^40 per pair); when a probe window is full (more
// busy sources than the table holds), the connection is admitted untracked.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "weir/net/address.h"

namespace weir::proxy {

class SourceConnections {
 public:
  /// What acquire() decided. `slot` is what release() needs (kUntracked: nothing to release).
  struct Admission {
    bool admitted = false;
    uint32_t slot = kUntracked;
  };
  static constexpr uint32_t kUntracked = UINT32_MAX;

  /// `capacity` is rounded up to a power of two.
  explicit SourceConnections(uint32_t capacity = 1u << 16);

  /// The process's table (made on first use).
  static SourceConnections& shared();

  /// Counts one more connection of `src` on the frontend named `scope`, unless `limit` of them
  /// are open already.
  Admission acquire(std::string_view scope, const net::Address& src, uint32_t limit);
  /// Ends a connection that acquire() admitted with this slot.
  void release(uint32_t slot);
  /// Connections of `src` on `scope` counted now (for tests and the stats).
  uint32_t current(std::string_view scope, const net::Address& src) const;

 private:
  static constexpr uint32_t kProbeWindow = 32;
  static constexpr uint64_t kCountBits = 24;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

  static uint64_t keyHash(std::string_view scope, const net::Address& src);
  static uint64_t tagOf(uint64_t hash) { return (hash >> kCountBits) | 1; }  // never 0: 0 marks a slot never used
  static uint64_t tagBits(uint64_t word) { return word >> kCountBits; }
  static uint64_t countOf(uint64_t word) { return word & kCountMask; }

  uint32_t mask_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

/// One admitted connection's place in SourceConnections::shared(), given back when this goes.
class SourceHold {
 public:
  SourceHold() = default;
  explicit SourceHold(uint32_t slot) : slot_(slot) {}
  ~SourceHold() { SourceConnections::shared().release(slot_); }
  SourceHold(SourceHold&& other) noexcept : slot_(std::exchange(other.slot_, SourceConnections::kUntracked)) {}
  SourceHold& operator=(SourceHold&& other) noexcept {
    std::swap(slot_, other.slot_);
    return *this;
  }
  SourceHold(const SourceHold&) = delete;
  SourceHold& operator=(const SourceHold&) = delete;

 private:
  uint32_t slot_ = SourceConnections::kUntracked;
};

}  // namespace weir::proxy
