#pragma once
// What one worker remembers about the files it serves: for each (site, relative path) whether
// it exists, its validators and, for small files, their bytes, so a popular asset costs no
// system call at all. A remembered answer is trusted for `revalidate`, then checked again
// (inode, size, mtime), so an edited file is served fresh within that time. Bounded by total
// bytes with LRU eviction. Owned by one worker.

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "weir/config/config.h"
#include "weir/static/file_opener.h"

namespace weir::static_files {

/// A file as served: its identity, validators and maybe its bytes.
struct FileRecord {
  OpenStatus status = OpenStatus::kNotFound;
  ino_t inode = 0;
  uint64_t size = 0;
  std::time_t mtime = 0;
  int64_t mtimeNs = 0;
  std::string etag;                              // strong, quoted
  std::string validatorHeaders;                  // "Last-Modified: ...\r\nETag: ...\r\n"
  std::shared_ptr<const std::string> contents;  // small files only
  // Filled in by the responder the first time it serves this version of the file.
  bool siblingsKnown = false;
  bool hasBr = false;  // NAME.br exists
  bool hasGz = false;  // NAME.gz exists
};

class OpenFileCache {
 public:
  explicit OpenFileCache(const config::StaticCacheConfig& config) : config_(config) {}

  /// The record of `relative` beneath `rootFd` (site `site`), from memory when fresh. When the
  /// file had to be opened and is a regular file, *opened holds its descriptor (for sending a
  /// file too large to keep); otherwise *opened is left empty.
  /// The record stays valid for as long as the caller holds it, even if it is evicted.
  std::shared_ptr<FileRecord> lookup(int site, int rootFd, const std::string& relative, int64_t nowMs, UniqueFd* opened);

  size_t bytes() const { return bytes_; }
  size_t entries() const { return map_.size(); }

 private:
  struct Entry {
    std::shared_ptr<FileRecord> record;
    int64_t checkedAtMs = 0;
    std::list<std::string>::iterator lru;
  };
  /// Opens and describes `relative`; reads its bytes unless `previous` is the same file.
  FileRecord load(int rootFd, const std::string& relative, const FileRecord* previous, UniqueFd* opened) const;
  void evictBeyond(size_t limit);

  config::StaticCacheConfig config_;
  std::unordered_map<std::string, Entry> map_;  // key: site index + '\0' + relative path
  std::list<std::string> lru_;                  // most recent first
  size_t bytes_ = 0;
  std::string key_;
};

}  // namespace weir::static_files
