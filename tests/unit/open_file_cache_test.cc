#include "weir/static/open_file_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace weir::static_files {
namespace {

using namespace std::chrono_literals;

constexpr int kSite = 1;

/// A static root under /tmp, removed with everything in it when the test ends.
class TempRoot {
 public:
  TempRoot() {
    char tmpl[] = "/tmp/weir-cache-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
    fd_ = UniqueFd(::open(path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(fd_.valid());
  }
  ~TempRoot() {
    fd_.reset();
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;

  int fd() const { return fd_.get(); }
  std::string at(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream out(at(name), std::ios::binary | std::ios::trunc);
    out << contents;
  }
  void remove(const std::string& name) const { std::filesystem::remove(at(name)); }
  /// Sets the file's mtime to `seconds` since the epoch.
  void touch(const std::string& name, std::time_t seconds) const {
    const timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, at(name).c_str(), times, 0), 0);
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

config::StaticCacheConfig cacheConfig(config::Millis revalidate = 1000ms, uint64_t maxFile = 64 * 1024,
                                      uint64_t total = 16 * 1024 * 1024) {
  config::StaticCacheConfig c;
  c.revalidate = revalidate;
  c.max_file = maxFile;
  c.total = total;
  return c;
}

std::string contentsOf(const std::shared_ptr<FileRecord>& r) {
  return r && r->contents ? *r->contents : std::string("<none>");
}

TEST(OpenFileCache, AFirstLookupOpensTheFileAndKeepsASmallOnesBytes) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig());
  UniqueFd opened;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "a.txt", 0, &opened);
  EXPECT_EQ(r->status, OpenStatus::kFile);
  EXPECT_EQ(r->size, 5u);
  EXPECT_EQ(contentsOf(r), "hello");
  EXPECT_TRUE(opened.valid());
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(OpenFileCache, TheEtagIsStrongAndQuoted) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig());
  UniqueFd opened;
  const std::string etag = cache.lookup(kSite, root.fd(), "a.txt", 0, &opened)->etag;
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_FALSE(etag.starts_with("W/"));
}

TEST(OpenFileCache, AHitWithinRevalidateIsServedFromMemoryWithoutReopening) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig(1000ms));
  UniqueFd first;
  const std::shared_ptr<FileRecord> r1 = cache.lookup(kSite, root.fd(), "a.txt", 10'000, &first);
  const std::string etag = r1->etag;
  root.remove("a.txt");
  UniqueFd second;
  const std::shared_ptr<FileRecord> r2 = cache.lookup(kSite, root.fd(), "a.txt", 10'999, &second);
  EXPECT_EQ(r1, r2);  // the same record
  EXPECT_EQ(r2->status, OpenStatus::kFile);
  EXPECT_EQ(contentsOf(r2), "hello");
  EXPECT_EQ(r2->etag, etag);
  EXPECT_FALSE(second.valid());  // nothing was opened
}

TEST(OpenFileCache, ADeletedFileIsNotFoundOnceRevalidateHasPassed) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig(1000ms));
  UniqueFd opened;
  cache.lookup(kSite, root.fd(), "a.txt", 10'000, &opened);
  root.remove("a.txt");
  UniqueFd again;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "a.txt", 11'000, &again);
  EXPECT_EQ(r->status, OpenStatus::kNotFound);
  EXPECT_FALSE(r->contents);
  EXPECT_FALSE(again.valid());
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(OpenFileCache, AnEditedFileIsSeenAfterRevalidateButNotBefore) {
  TempRoot root;
  root.write("a.txt", "hello");
  root.touch("a.txt", 1'000'000);
  OpenFileCache cache(cacheConfig(1000ms));
  UniqueFd opened;
  const std::string oldEtag = cache.lookup(kSite, root.fd(), "a.txt", 0, &opened)->etag;
  root.write("a.txt", "goodbye!");
  root.touch("a.txt", 1'000'100);
  UniqueFd early;
  EXPECT_EQ(contentsOf(cache.lookup(kSite, root.fd(), "a.txt", 999, &early)), "hello");
  UniqueFd late;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "a.txt", 1000, &late);
  EXPECT_EQ(contentsOf(r), "goodbye!");
  EXPECT_EQ(r->size, 8u);
  EXPECT_EQ(r->mtime, 1'000'100);
  EXPECT_NE(r->etag, oldEtag);
  EXPECT_TRUE(late.valid());
}

TEST(OpenFileCache, TheEtagChangesWithTheMtimeAloneAndNotOtherwise) {
  TempRoot root;
  root.write("a.txt", "hello");
  root.touch("a.txt", 1'000'000);
  OpenFileCache cache(cacheConfig(0ms));
  UniqueFd o1, o2, o3;
  const std::string etag1 = cache.lookup(kSite, root.fd(), "a.txt", 0, &o1)->etag;
  const std::string etag2 = cache.lookup(kSite, root.fd(), "a.txt", 1, &o2)->etag;
  EXPECT_EQ(etag1, etag2);  // unchanged file: same validator
  root.touch("a.txt", 1'000'001);  // same size and inode, newer mtime
  const std::string etag3 = cache.lookup(kSite, root.fd(), "a.txt", 2, &o3)->etag;
  EXPECT_NE(etag3, etag1);
}

TEST(OpenFileCache, TheEtagChangesWhenTheFileIsReplaced) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig(0ms));
  UniqueFd o1, o2;
  const std::string etag1 = cache.lookup(kSite, root.fd(), "a.txt", 0, &o1)->etag;
  root.write("a.txt.new", "world, new");
  std::filesystem::rename(root.at("a.txt.new"), root.at("a.txt"));
  const std::string etag2 = cache.lookup(kSite, root.fd(), "a.txt", 0, &o2)->etag;
  EXPECT_NE(etag1, etag2);
}

TEST(OpenFileCache, RevalidatingAnUnchangedFileKeepsTheSameRecord) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig(1000ms));
  UniqueFd o1, o2;
  const std::shared_ptr<FileRecord> r1 = cache.lookup(kSite, root.fd(), "a.txt", 0, &o1);
  r1->siblingsKnown = true;
  const std::shared_ptr<FileRecord> r2 = cache.lookup(kSite, root.fd(), "a.txt", 5000, &o2);
  EXPECT_EQ(r1, r2);
  EXPECT_FALSE(r2->siblingsKnown);  // looked for again after each revalidation
  EXPECT_TRUE(o2.valid());
}

TEST(OpenFileCache, AHeldRecordOutlivesItsReplacementAndEviction) {
  TempRoot root;
  root.write("a.txt", "first");
  root.write("b.txt", "other");
  OpenFileCache cache(cacheConfig(0ms, 64 * 1024, 10));  // room for one entry at most
  UniqueFd o1, o2, o3;
  const std::shared_ptr<FileRecord> held = cache.lookup(kSite, root.fd(), "a.txt", 0, &o1);
  root.write("a.txt", "second!");
  const std::shared_ptr<FileRecord> fresh = cache.lookup(kSite, root.fd(), "a.txt", 1, &o2);
  EXPECT_NE(held, fresh);
  EXPECT_EQ(contentsOf(held), "first");
  EXPECT_EQ(contentsOf(fresh), "second!");
  cache.lookup(kSite, root.fd(), "b.txt", 2, &o3);  // evicts a.txt
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(contentsOf(fresh), "second!");
}

TEST(OpenFileCache, ValidatorHeadersCarryLastModifiedAndEtag) {
  TempRoot root;
  root.write("a.txt", "hello");
  root.touch("a.txt", 784111777);
  OpenFileCache cache(cacheConfig());
  UniqueFd opened;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "a.txt", 0, &opened);
  EXPECT_EQ(r->validatorHeaders, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: " + r->etag + "\r\n");
}

TEST(OpenFileCache, ZeroRevalidateReopensEveryTime) {
  TempRoot root;
  root.write("a.txt", "hello");
  OpenFileCache cache(cacheConfig(0ms));
  UniqueFd o1, o2;
  cache.lookup(kSite, root.fd(), "a.txt", 5, &o1);
  cache.lookup(kSite, root.fd(), "a.txt", 5, &o2);
  EXPECT_TRUE(o2.valid());
}

TEST(OpenFileCache, FilesUpToMaxFileKeepTheirContentsLargerOnesDoNot) {
  TempRoot root;
  root.write("small.bin", std::string(16, 's'));
  root.write("large.bin", std::string(17, 'l'));
  OpenFileCache cache(cacheConfig(1000ms, 16));
  UniqueFd smallFd;
  const std::shared_ptr<FileRecord> small = cache.lookup(kSite, root.fd(), "small.bin", 0, &smallFd);
  EXPECT_EQ(contentsOf(small), std::string(16, 's'));
  UniqueFd largeFd;
  const std::shared_ptr<FileRecord> large = cache.lookup(kSite, root.fd(), "large.bin", 0, &largeFd);
  EXPECT_EQ(large->status, OpenStatus::kFile);
  EXPECT_EQ(large->size, 17u);
  EXPECT_FALSE(large->contents);
  EXPECT_FALSE(large->etag.empty());
  ASSERT_TRUE(largeFd.valid());
  char buf[32];
  EXPECT_EQ(pread(largeFd.get(), buf, sizeof(buf), 0), 17);
}

TEST(OpenFileCache, AnEmptyFileHasEmptyContents) {
  TempRoot root;
  root.write("empty.txt", "");
  OpenFileCache cache(cacheConfig());
  UniqueFd opened;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "empty.txt", 0, &opened);
  EXPECT_EQ(r->status, OpenStatus::kFile);
  ASSERT_TRUE(r->contents);
  EXPECT_TRUE(r->contents->empty());
}

TEST(OpenFileCache, AMissingFileIsRememberedAsNotFoundUntilRevalidate) {
  TempRoot root;
  OpenFileCache cache(cacheConfig(1000ms));
  UniqueFd o1;
  EXPECT_EQ(cache.lookup(kSite, root.fd(), "late.txt", 0, &o1)->status, OpenStatus::kNotFound);
  EXPECT_FALSE(o1.valid());
  EXPECT_EQ(cache.entries(), 1u);
  root.write("late.txt", "here now");
  UniqueFd o2;
  EXPECT_EQ(cache.lookup(kSite, root.fd(), "late.txt", 999, &o2)->status, OpenStatus::kNotFound);
  UniqueFd o3;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "late.txt", 1000, &o3);
  EXPECT_EQ(r->status, OpenStatus::kFile);
  EXPECT_EQ(contentsOf(r), "here now");
}

TEST(OpenFileCache, ADirectoryIsRecordedWithoutDescriptorOrEtag) {
  TempRoot root;
  std::filesystem::create_directory(root.at("dir"));
  OpenFileCache cache(cacheConfig());
  UniqueFd opened;
  const std::shared_ptr<FileRecord> r = cache.lookup(kSite, root.fd(), "dir", 0, &opened);
  EXPECT_EQ(r->status, OpenStatus::kDirectory);
  EXPECT_TRUE(r->etag.empty());
  EXPECT_FALSE(r->contents);
  EXPECT_FALSE(opened.valid());
}

TEST(OpenFileCache, SitesDoNotShareEntries) {
  TempRoot one;
  TempRoot two;
  one.write("a.txt", "site one");
  two.write("a.txt", "site two");
  OpenFileCache cache(cacheConfig());
  UniqueFd o1, o2;
  EXPECT_EQ(contentsOf(cache.lookup(1, one.fd(), "a.txt", 0, &o1)), "site one");
  EXPECT_EQ(contentsOf(cache.lookup(2, two.fd(), "a.txt", 0, &o2)), "site two");
  EXPECT_EQ(cache.entries(), 2u);
}

TEST(OpenFileCache, BytesCountTheKeptContents) {
  TempRoot root;
  root.write("a.bin", std::string(1000, 'a'));
  OpenFileCache cache(cacheConfig(0ms));
  UniqueFd o1;
  cache.lookup(kSite, root.fd(), "a.bin", 0, &o1);
  const size_t withContents = cache.bytes();
  EXPECT_GE(withContents, 1000u);
  root.write("a.bin", "");
  UniqueFd o2;
  cache.lookup(kSite, root.fd(), "a.bin", 1, &o2);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_LT(cache.bytes(), withContents - 900);  // the old bytes are no longer counted
}

TEST(OpenFileCache, EvictionKeepsBytesUnderTheTotal) {
  TempRoot root;
  for (int i = 0; i < 40; ++i) root.write("f" + std::to_string(i) + ".bin", std::string(500, 'x'));
  OpenFileCache cache(cacheConfig(1000ms, 64 * 1024, 4000));
  for (int i = 0; i < 40; ++i) {
    UniqueFd opened;
    EXPECT_EQ(cache.lookup(kSite, root.fd(), "f" + std::to_string(i) + ".bin", i, &opened)->status, OpenStatus::kFile);
    EXPECT_LE(cache.bytes(), 4000u) << "after file " << i;
  }
  EXPECT_GE(cache.entries(), 3u);
  EXPECT_LT(cache.entries(), 40u);
}

TEST(OpenFileCache, EvictionDropsTheLeastRecentlyUsedEntry) {
  TempRoot root;
  for (const char* name : {"a.bin", "b.bin", "c.bin", "d.bin"}) root.write(name, std::string(200, 'x'));
  size_t cost = 0;
  {
    OpenFileCache probe(cacheConfig());
    UniqueFd opened;
    probe.lookup(kSite, root.fd(), "a.bin", 0, &opened);
    cost = probe.bytes();
  }
  // Room for three entries, not four.
  OpenFileCache cache(cacheConfig(1'000'000ms, 64 * 1024, 3 * cost + cost / 2));
  auto lookup = [&](const char* name, int64_t now) {
    UniqueFd opened;
    return cache.lookup(kSite, root.fd(), name, now, &opened)->status;
  };
  lookup("a.bin", 0);
  lookup("b.bin", 1);
  lookup("c.bin", 2);
  lookup("a.bin", 3);  // a is now more recent than b
  lookup("d.bin", 4);  // over the limit: b goes
  EXPECT_EQ(cache.entries(), 3u);
  for (const char* name : {"a.bin", "b.bin", "c.bin", "d.bin"}) root.remove(name);
  // Hits answer from memory (the files are gone); the evicted one is looked up afresh.
  EXPECT_EQ(lookup("a.bin", 5), OpenStatus::kFile);
  EXPECT_EQ(lookup("c.bin", 6), OpenStatus::kFile);
  EXPECT_EQ(lookup("d.bin", 7), OpenStatus::kFile);
  EXPECT_EQ(lookup("b.bin", 8), OpenStatus::kNotFound);
}

TEST(OpenFileCache, AnEntryLargerThanTheTotalIsStillReturnedAndKeptAlone) {
  TempRoot root;
  root.write("a.bin", std::string(100, 'a'));
  root.write("b.bin", std::string(100, 'b'));
  OpenFileCache cache(cacheConfig(1000ms, 64 * 1024, 10));
  UniqueFd o1, o2;
  EXPECT_EQ(contentsOf(cache.lookup(kSite, root.fd(), "a.bin", 0, &o1)), std::string(100, 'a'));
  const std::shared_ptr<FileRecord> b = cache.lookup(kSite, root.fd(), "b.bin", 0, &o2);
  EXPECT_EQ(contentsOf(b), std::string(100, 'b'));
  EXPECT_EQ(cache.entries(), 1u);
}

}  // namespace
}  // namespace weir::static_files
