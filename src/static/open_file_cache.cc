#include "weir/static/open_file_cache.h"

#include <unistd.h>

#include <fmt/format.h>

#include "weir/http/http_date.h"

namespace weir::static_files {
namespace {

size_t costOf(const std::string& key, const FileRecord& r) {
  return key.size() + r.etag.size() + (r.contents ? r.contents->size() : 0) + 128;  // + bookkeeping
}

bool sameFile(const FileRecord& a, const FileRecord& b) {
  return a.status == b.status && a.inode == b.inode && a.size == b.size && a.mtimeNs == b.mtimeNs;
}

}  // namespace

FileRecord OpenFileCache::load(int rootFd, const std::string& relative, const FileRecord* previous,
                               UniqueFd* opened) const {
  OpenedFile f = openBeneath(rootFd, relative);
  FileRecord r;
  r.status = f.status;
  if (f.status != OpenStatus::kFile && f.status != OpenStatus::kDirectory) return r;
  r.inode = f.st.st_ino;
  r.size = static_cast<uint64_t>(f.st.st_size);
  r.mtime = f.st.st_mtim.tv_sec;
  r.mtimeNs = static_cast<int64_t>(f.st.st_mtim.tv_sec) * 1'000'000'000 + f.st.st_mtim.tv_nsec;
  if (f.status != OpenStatus::kFile) return r;
  if (previous != nullptr && sameFile(*previous, r)) {  // revalidated, unchanged: nothing to read again
    *opened = std::move(f.fd);
    return r;
  }
  r.etag = fmt::format("\"{:x}-{:x}-{:x}\"", r.inode, r.size, r.mtimeNs);
  r.validatorHeaders = fmt::format("Last-Modified: {}\r\nETag: {}\r\n", http::formatHttpDate(r.mtime), r.etag);
  if (r.size <= config_.max_file) {
    auto contents = std::make_shared<std::string>(r.size, '\0');
    size_t done = 0;
    while (done < r.size) {
      const ssize_t n = pread(f.fd.get(), contents->data() + done, r.size - done, static_cast<off_t>(done));
      if (n <= 0) break;  // shrank under us: not kept; served from the descriptor
      done += static_cast<size_t>(n);
    }
    if (done == r.size) r.contents = std::move(contents);
  }
  *opened = std::move(f.fd);
  return r;
}

std::shared_ptr<FileRecord> OpenFileCache::lookup(int site, int rootFd, const std::string& relative, int64_t nowMs,
                                                  UniqueFd* opened) {
  std::string& key = key_;  // reused: a hit allocates nothing
  key.clear();
  fmt::format_to(std::back_inserter(key), "{}", site);
  key.push_back('\0');
  key += relative;
  auto it = map_.find(key);
  if (it != map_.end() && nowMs - it->second.checkedAtMs < config_.revalidate.count()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.record;
  }
  const FileRecord* previous = it != map_.end() ? it->second.record.get() : nullptr;
  auto fresh = std::make_shared<FileRecord>(load(rootFd, relative, previous, opened));
  if (it != map_.end()) {
    bytes_ -= costOf(key, *it->second.record);
    // Unchanged: keep what is known already (the bytes, the validators, the siblings).
    if (sameFile(*it->second.record, *fresh)) {
      fresh = it->second.record;
      fresh->siblingsKnown = false;  // a .br / .gz may have appeared: look again once
    }
    it->second.record = fresh;
    it->second.checkedAtMs = nowMs;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  } else {
    lru_.push_front(key);
    it = map_.emplace(key, Entry{fresh, nowMs, lru_.begin()}).first;
  }
  bytes_ += costOf(key, *it->second.record);
  evictBeyond(config_.total);
  return it->second.record;
}

void OpenFileCache::evictBeyond(size_t limit) {
  while (bytes_ > limit && lru_.size() > 1) {
    auto victim = map_.find(lru_.back());
    bytes_ -= costOf(victim->first, *victim->second.record);
    map_.erase(victim);
    lru_.pop_back();
  }
}

}  // namespace weir::static_files
