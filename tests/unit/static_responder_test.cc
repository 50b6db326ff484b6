#include "weir/static/static_responder.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "weir/http/http_date.h"

namespace weir::static_files {
namespace {

using namespace std::chrono_literals;
using Outcome = StaticResponse::Outcome;

constexpr std::time_t kNow = 1'700'000'000;
constexpr std::time_t kMtime = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kCss = "body{color:red}";  // 15 bytes

/// A response taken apart: status, headers by lower-case name, and the body bytes.
struct Parsed {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool has(const std::string& name) const { return headers.contains(name); }
  std::string operator[](const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<absent>" : it->second;
  }
};

Parsed parse(const StaticResponse& r) {
  Parsed p;
  std::string_view head = r.head;
  EXPECT_TRUE(head.starts_with("HTTP/1.1 ") && head.ends_with("\r\n")) << head;
  EXPECT_EQ(head.find("\r\n\r\n"), std::string_view::npos) << "no blank line expected";
  if (head.size() >= 12) p.status = std::stoi(std::string(head.substr(9, 3)));
  EXPECT_EQ(p.status, r.status);
  head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2));  // the status line
  for (size_t eol; (eol = head.find("\r\n")) != std::string_view::npos; head.remove_prefix(eol + 2)) {
    const std::string_view line = head.substr(0, eol);
    const size_t colon = line.find(": ");
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_FALSE(p.headers.contains(name)) << "duplicate " << name;
    p.headers[name] = std::string(line.substr(colon + 2));
  }
  if (r.length > 0 && r.contents) {
    p.body = r.contents->substr(r.offset, r.length);
  } else if (r.length > 0) {
    EXPECT_TRUE(r.file.valid()) << "a body length without contents or file";
    p.body.resize(r.length);
    EXPECT_EQ(pread(r.file.get(), p.body.data(), r.length, static_cast<off_t>(r.offset)), static_cast<ssize_t>(r.length));
  }
  return p;
}

class StaticResponderTest : public ::testing::Test {
 protected:
  StaticResponderTest() {
    char tmpl[] = "/tmp/weir-static-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    dir_ = made != nullptr ? made : "";
    rule_.root = dir_;
    rule_.index = "index.html";
  }
  ~StaticResponderTest() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  std::string at(const std::string& name) const { return dir_ + "/" + name; }
  void write(const std::string& name, std::string_view contents, std::time_t mtime = kMtime) const {
    std::filesystem::create_directories(std::filesystem::path(at(name)).parent_path());
    std::ofstream(at(name), std::ios::binary | std::ios::trunc) << contents;
    const timespec times[2] = {{mtime, 0}, {mtime, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, at(name).c_str(), times, 0), 0);
  }

  /// Answers `method path` with `fields`, opening the site (from rule_) on first use.
  StaticResponse respond(std::string_view path, std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {},
                         std::string_view method = "GET", std::string_view query = "", bool hasQuery = false,
                         int64_t nowMs = 0) {
    if (!site_) {
      std::string error;
      site_ = StaticSite::open(rule_, 7, &error);
      responder_ = std::make_unique<StaticResponder>(cache_, mime_);
    }
    http::RequestHead req;
    req.method = std::string(method);
    req.target = std::string(path);
    for (const auto& [name, value] : fields) req.headers.add(name, value);
    return responder_->respond(*site_, path, query, hasQuery, req, nowMs, kNow);
  }
  Parsed get(std::string_view path, std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {}) {
    const StaticResponse r = respond(path, fields);
    EXPECT_EQ(r.outcome, Outcome::kServed);
    return parse(r);
  }

  std::string dir_;
  config::StaticRuleConfig rule_;
  config::StaticCacheConfig cache_;
  MimeTypes mime_;
  std::unique_ptr<StaticSite> site_;
  std::unique_ptr<StaticResponder> responder_;
};

TEST(StaticSiteOpen, AMissingRootGivesASiteWithoutRootAndAnError) {
  config::StaticRuleConfig rule;
  rule.root = "/tmp/weir-no-such-static-root/x";
  std::string error;
  const std::unique_ptr<StaticSite> site = StaticSite::open(rule, 3, &error);
  ASSERT_NE(site, nullptr);
  EXPECT_FALSE(site->root.valid());
  EXPECT_EQ(site->id, 3);
  EXPECT_NE(error.find(rule.root), std::string::npos) << error;
}

TEST_F(StaticResponderTest, EveryFileIsMissingWhenTheRootCouldNotBeOpened) {
  rule_.root = dir_ + "/does-not-exist";
  EXPECT_EQ(respond("/index.html").outcome, Outcome::kMissing);
  EXPECT_EQ(respond("/").outcome, Outcome::kMissing);
}

TEST_F(StaticResponderTest, ServesAFileWithItsHeaders) {
  write("site.css", kCss);
  rule_.expires = 365 * 24h;
  const Parsed p = get("/site.css");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, kCss);
  EXPECT_EQ(p["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(p["content-length"], "15");
  EXPECT_EQ(p["last-modified"], "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(p["date"], http::formatHttpDate(kNow));
  EXPECT_EQ(p["accept-ranges"], "bytes");
  EXPECT_TRUE(p["etag"].starts_with("\"") && p["etag"].ends_with("\"") && p["etag"].size() > 2) << p["etag"];
  EXPECT_EQ(p["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(p["expires"], http::formatHttpDate(kNow + 31536000));
  EXPECT_FALSE(p.has("vary"));
  EXPECT_FALSE(p.has("content-encoding"));
}

TEST_F(StaticResponderTest, AShortExpiresIsNotImmutable) {
  write("site.css", kCss);
  rule_.expires = 1h;
  const Parsed p = get("/site.css");
  EXPECT_EQ(p["cache-control"], "public, max-age=3600");
  EXPECT_EQ(p["expires"], http::formatHttpDate(kNow + 3600));
}

TEST_F(StaticResponderTest, NoExpiresMeansNoCacheControlNorExpires) {
  write("site.css", kCss);
  const Parsed p = get("/site.css");
  EXPECT_FALSE(p.has("cache-control"));
  EXPECT_FALSE(p.has("expires"));
}

TEST_F(StaticResponderTest, DecodesThePathAndTypesByExtension) {
  write("my file.png", "PNG");
  const Parsed p = get("/my%20file.png");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p["content-type"], "image/png");
}

TEST_F(StaticResponderTest, AMatchingIfNoneMatchIs304WithValidatorsAndNoBody) {
  write("site.css", kCss);
  rule_.expires = 1h;
  const std::string etag = get("/site.css")["etag"];
  const StaticResponse r = respond("/site.css", {{"If-None-Match", etag}});
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 304);
  EXPECT_EQ(r.length, 0u);
  EXPECT_EQ(p["etag"], etag);
  EXPECT_EQ(p["cache-control"], "public, max-age=3600");
  EXPECT_TRUE(p.has("date"));
  EXPECT_FALSE(p.has("content-type"));
}

TEST_F(StaticResponderTest, AnUnchangedIfModifiedSinceIs304) {
  write("site.css", kCss);
  EXPECT_EQ(get("/site.css", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 304);
  EXPECT_EQ(get("/site.css", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}).status, 200);
}

TEST_F(StaticResponderTest, A304CarriesNoContentLengthOtherThanTheFilesSize) {
  write("site.css", kCss);
  const Parsed p = get("/site.css", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  ASSERT_EQ(p.status, 304);
  EXPECT_TRUE(!p.has("content-length") || p["content-length"] == "15") << p["content-length"];
}

TEST_F(StaticResponderTest, AFailingIfMatchIs412) {
  write("site.css", kCss);
  const StaticResponse r = respond("/site.css", {{"If-Match", "\"other\""}});
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 412);
  EXPECT_EQ(r.length, 0u);
  EXPECT_EQ(p["content-length"], "0");
}

TEST_F(StaticResponderTest, ARangeIs206WithContentRange) {
  write("site.css", kCss);
  const Parsed p = get("/site.css", {{"Range", "bytes=2-5"}});
  EXPECT_EQ(p.status, 206);
  EXPECT_EQ(p["content-range"], "bytes 2-5/15");
  EXPECT_EQ(p["content-length"], "4");
  EXPECT_EQ(p.body, "dy{c");
  const Parsed suffix = get("/site.css", {{"Range", "bytes=-4"}});
  EXPECT_EQ(suffix["content-range"], "bytes 11-14/15");
  EXPECT_EQ(suffix.body, "red}");
}

TEST_F(StaticResponderTest, ARangeBeyondTheEndIs416) {
  write("site.css", kCss);
  const StaticResponse r = respond("/site.css", {{"Range", "bytes=15-"}});
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 416);
  EXPECT_EQ(p["content-range"], "bytes */15");
  EXPECT_EQ(p["content-length"], "0");
  EXPECT_EQ(r.length, 0u);
}

TEST_F(StaticResponderTest, AStaleIfRangeSendsTheWholeFile) {
  write("site.css", kCss);
  const Parsed p = get("/site.css", {{"Range", "bytes=0-1"}, {"If-Range", "\"stale\""}});
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.body, kCss);
}

TEST_F(StaticResponderTest, APreconditionWinsOverARange) {
  write("site.css", kCss);
  EXPECT_EQ(get("/site.css", {{"Range", "bytes=0-1"}, {"If-Match", "\"other\""}}).status, 412);
  EXPECT_EQ(get("/site.css", {{"Range", "bytes=0-1"}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status,
            304);
}

TEST_F(StaticResponderTest, HeadHasTheFilesContentLengthButNoBody) {
  write("site.css", kCss);
  const StaticResponse r = respond("/site.css", {}, "HEAD");
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(r.length, 0u);
  EXPECT_EQ(p["content-length"], "15");
  EXPECT_EQ(p["content-type"], "text/css; charset=utf-8");
}

TEST_F(StaticResponderTest, PostIs405WithAllow) {
  write("site.css", kCss);
  const StaticResponse r = respond("/site.css", {}, "POST");
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 405);
  EXPECT_EQ(p["allow"], "GET, HEAD");
  EXPECT_FALSE(r.errorBody.empty());
  EXPECT_EQ(p["content-length"], std::to_string(r.errorBody.size()));
}

TEST_F(StaticResponderTest, AMissingFileOrIndexIsLeftToTheFallback) {
  std::filesystem::create_directories(at("empty"));
  EXPECT_EQ(respond("/nope.css").outcome, Outcome::kMissing);
  EXPECT_EQ(respond("/no/such/dir/x.css").outcome, Outcome::kMissing);
  EXPECT_EQ(respond("/empty/").outcome, Outcome::kMissing);
}

TEST_F(StaticResponderTest, ADotfileIs404EvenWhenItExists) {
  write(".env", "SECRET=1");
  const StaticResponse r = respond("/.env");
  EXPECT_EQ(r.outcome, Outcome::kServed);
  const Parsed p = parse(r);
  EXPECT_EQ(p.status, 404);
  EXPECT_EQ(p["content-length"], std::to_string(r.errorBody.size()));
  EXPECT_EQ(r.errorBody.find("SECRET"), std::string_view::npos);
}

TEST_F(StaticResponderTest, DotfilesTrueServesDotfiles) {
  write(".env", "SECRET=1");
  rule_.dotfiles = true;
  EXPECT_EQ(get("/.env").body, "SECRET=1");
}

TEST_F(StaticResponderTest, ADirectoryWithoutSlashIs301KeepingTheQuery) {
  write("docs/index.html", "<p>docs</p>");
  EXPECT_EQ(get("/docs")["location"], "/docs/");
  const Parsed p = parse(respond("/docs", {}, "GET", "a=1&b=2", true));
  EXPECT_EQ(p.status, 301);
  EXPECT_EQ(p["location"], "/docs/?a=1&b=2");
  EXPECT_EQ(p["content-length"], "0");
  EXPECT_EQ(parse(respond("/docs", {}, "GET", "", true))["location"], "/docs/?");
}

TEST_F(StaticResponderTest, ADirectoryWithSlashServesItsIndex) {
  write("docs/index.html", "<p>docs</p>");
  write("index.html", "<p>home</p>");
  const Parsed docs = get("/docs/");
  EXPECT_EQ(docs.status, 200);
  EXPECT_EQ(docs.body, "<p>docs</p>");
  EXPECT_EQ(docs["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(get("/").body, "<p>home</p>");
}

TEST_F(StaticResponderTest, ADirectoryIsMissingWhenNoIndexIsConfigured) {
  write("docs/index.html", "x");
  rule_.index = "";
  EXPECT_EQ(respond("/docs/").outcome, Outcome::kMissing);
  EXPECT_EQ(respond("/docs").outcome, Outcome::kMissing);
}

TEST_F(StaticResponderTest, APrecompressedSiblingIsChosenByAcceptEncodingBrotliFirst) {
  write("app.js", "plain js");
  write("app.js.br", "BR");
  write("app.js.gz", "GZIP");
  const Parsed p = get("/app.js", {{"Accept-Encoding", "gzip, deflate, br"}});
  EXPECT_EQ(p.body, "BR");
  EXPECT_EQ(p["content-encoding"], "br");
  EXPECT_EQ(p["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(p["content-length"], "2");
  EXPECT_EQ(p["vary"], "Accept-Encoding");
  EXPECT_NE(p["etag"], get("/app.js")["etag"]);  // each encoding has its own validator
  // Gzip when brotli is not accepted, or refused with q=0.
  EXPECT_EQ(get("/app.js", {{"Accept-Encoding", "gzip"}}).body, "GZIP");
  const Parsed gz = get("/app.js", {{"Accept-Encoding", "br;q=0, gzip;q=0.5"}});
  EXPECT_EQ(gz.body, "GZIP");
  EXPECT_EQ(gz["content-encoding"], "gzip");
}

TEST_F(StaticResponderTest, PlainFileWithVaryWhenNoEncodingIsAccepted) {
  write("app.js", "plain js");
  write("app.js.gz", "GZIP");
  for (std::string_view ae : {"", "identity", "gzip;q=0", "br", "gzip ; q=0.0"}) {
    const Parsed p = get("/app.js", {{"Accept-Encoding", ae}});
    EXPECT_EQ(p.body, "plain js") << ae;
    EXPECT_FALSE(p.has("content-encoding")) << ae;
    EXPECT_EQ(p["vary"], "Accept-Encoding") << ae;
  }
}

TEST_F(StaticResponderTest, PrecompressedFalseIgnoresSiblings) {
  write("app.js", "plain js");
  write("app.js.gz", "GZIP");
  rule_.precompressed = false;
  const Parsed p = get("/app.js", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(p.body, "plain js");
  EXPECT_FALSE(p.has("vary"));
}

TEST_F(StaticResponderTest, AnUpperCaseQZeroRefusesTheCoding) {
  write("app.js", "plain js");
  write("app.js.gz", "GZIP");
  EXPECT_EQ(get("/app.js", {{"Accept-Encoding", "gzip;Q=0"}}).body, "plain js");
}

TEST_F(StaticResponderTest, ASiblingWithoutTheOriginalIsNotServed) {
  write("only.js.gz", "GZIP");
  EXPECT_EQ(respond("/only.js", {{"Accept-Encoding", "gzip"}}).outcome, Outcome::kMissing);
}

TEST_F(StaticResponderTest, TheIndexIsServedPrecompressedToo) {
  write("docs/index.html", "<p>docs</p>");
  write("docs/index.html.gz", "GZ-INDEX");
  const Parsed p = get("/docs/", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(p.body, "GZ-INDEX");
  EXPECT_EQ(p["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(p["content-encoding"], "gzip");
}

TEST_F(StaticResponderTest, A304OfAPrecompressableFileCarriesVary) {
  write("app.js", "plain js");
  write("app.js.gz", "GZIP");
  const std::string etag = get("/app.js", {{"Accept-Encoding", "gzip"}})["etag"];
  const Parsed p = get("/app.js", {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
  EXPECT_EQ(p.status, 304);
  EXPECT_EQ(p["vary"], "Accept-Encoding");
}

TEST_F(StaticResponderTest, ALargePrecompressedSiblingIsSentFromItsOwnDescriptor) {
  cache_.max_file = 4;
  write("app.js", "plain javascript");
  write("app.js.gz", "GZIPPED-BYTES");
  for (int i = 0; i < 2; ++i) {  // the second time the record comes from memory and is reopened
    const StaticResponse r = respond("/app.js", {{"Accept-Encoding", "gzip"}});
    EXPECT_TRUE(r.file.valid());
    EXPECT_EQ(parse(r).body, "GZIPPED-BYTES") << i;
  }
}

TEST_F(StaticResponderTest, ASiblingAddedLaterIsSeenAfterRevalidate) {
  cache_.revalidate = 1000ms;
  write("app.js", "plain js");
  EXPECT_EQ(parse(respond("/app.js", {{"Accept-Encoding", "gzip"}}, "GET", "", false, 0)).body, "plain js");
  write("app.js.gz", "GZIP");
  EXPECT_EQ(parse(respond("/app.js", {{"Accept-Encoding", "gzip"}}, "GET", "", false, 500)).body, "plain js");
  EXPECT_EQ(parse(respond("/app.js", {{"Accept-Encoding", "gzip"}}, "GET", "", false, 1000)).body, "GZIP");
}

TEST_F(StaticResponderTest, ALargeFileIsSentFromADescriptorBothTimes) {
  cache_.max_file = 8;
  write("big.txt", "0123456789abcdef");
  for (int i = 0; i < 2; ++i) {  // first: the descriptor the cache opened; then: opened again
    const StaticResponse r = respond("/big.txt", {{"Range", "bytes=4-"}});
    EXPECT_FALSE(r.contents);
    EXPECT_TRUE(r.file.valid());
    EXPECT_EQ(parse(r).body, "456789abcdef");
  }
}

TEST_F(StaticResponderTest, ALargeFileThatShrankSinceItWasRememberedIs503) {
  cache_.max_file = 8;
  cache_.revalidate = 1'000'000ms;
  write("big.txt", "0123456789abcdef");
  EXPECT_EQ(get("/big.txt").status, 200);
  write("big.txt", "short file");
  EXPECT_EQ(get("/big.txt").status, 503);
}

TEST_F(StaticResponderTest, ALargeFileReplacedBySameSizeIsNotServedUnderTheOldEtag) {
  cache_.max_file = 8;
  cache_.revalidate = 1'000'000ms;
  write("big.txt", "0123456789abcdef");
  EXPECT_EQ(get("/big.txt").status, 200);
  write("big.new", "ABCDEFGHIJKLMNOP", kMtime + 60);
  std::filesystem::rename(at("big.new"), at("big.txt"));
  const Parsed p = get("/big.txt");
  EXPECT_TRUE(p.status == 503 || p.body == "0123456789abcdef") << p.status << " " << p.body;
}

TEST_F(StaticResponderTest, AnUnreadableFileIs403) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: root can read anything";
  write("private.txt", "secret");
  ASSERT_EQ(chmod(at("private.txt").c_str(), 0), 0);
  const Parsed p = parse(respond("/private.txt"));
  EXPECT_EQ(p.status, 403);
}

}  // namespace
}  // namespace weir::static_files
