// Issue 6, static files end to end: a tree in a temp dir served by the real binary with its
// headers, 304 / 412, 206 / 416, HEAD, precompressed siblings, directory indexes, the fallback
// to a fake backend when a file is missing, edits seen within static_revalidate, and hostile
// paths (encoded dots, double slashes, NUL, backslashes, dotfiles, symlinks out of the root).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string bigFile() {
  std::string s(1 << 20, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    site_.writeFile("www/css/site.css", "body { color: red }\n");
    site_.writeFile("www/css/site.css.gz", "pretend-gzip");
    site_.writeFile("www/app.js", "console.log(1)\n");
    site_.writeFile("www/app.js.br", "pretend-brotli");
    site_.writeFile("www/app.js.gz", "pretend-gzip-js");
    site_.writeFile("www/index.html", "<h1>home</h1>\n");
    site_.writeFile("www/docs/index.html", "<h1>docs</h1>\n");
    site_.writeFile("www/empty/.keep", "");
    site_.writeFile("www/.env", "SECRET=1\n");
    site_.writeFile("www/.well-known/security.txt", "Contact: x\n");
    site_.writeFile("www/big.bin", big_);
    site_.writeFile("outside/secret.css", "outside the root\n");
    fs::create_symlink(site_.filePath("outside/secret.css"), site_.filePath("www/leak.css"));
    fs::create_symlink("css", site_.filePath("www/style"));
    weir_ = std::make_unique<WeirInstance>(fmt::format(R"(global: {{ threads: 2, log: stdout, tune: {{ static_revalidate: 100ms }} }}
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    acl:
      assets: path_reg (?i)\.(css|js|bin|txt)$
    static:
      - if: assets
        root: {0}/www
        expires: 1y
        fallback: backend
      - if: "{{ path_beg /site/ }}"
        root: {0}/www
        index: index.html
      - if: "!{{ path_beg /api/ }}"
        root: {0}/www
        fallback: 404
        index: index.html
    use_backend:
      - be if {{ path_beg /api/ }}
    default_backend: be
backends:
  be: {{ servers: [{{ name: s1, address: "{1}" }}] }}
)",
                                                       site_.path().string(), backend_.address()));
  }

  uint16_t port() const { return weir_->port(); }

  const std::string big_ = bigFile();
  TempDir site_;
  FakeBackend backend_{"app"};
  std::unique_ptr<WeirInstance> weir_;
};

TEST_F(StaticFilesTest, ServesAFileWithItsHeaders) {
  const HttpResponse r = httpGet(port(), "/css/site.css");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "body { color: red }\n");
  EXPECT_EQ(r.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(r.header("Content-Length"), "20");
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_FALSE(r.header("Expires").empty());
  EXPECT_FALSE(r.header("Last-Modified").empty());
  EXPECT_EQ(r.header("ETag").front(), '"') << "a strong ETag";
  EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(r.header("Vary"), "Accept-Encoding") << "a .gz sibling exists";
  EXPECT_TRUE(backend_.records().empty());
}

TEST_F(StaticFilesTest, ConditionalRequestsGet304And412) {
  const HttpResponse first = httpGet(port(), "/app.js");
  const std::string etag = first.header("ETag");
  const HttpResponse byTag = httpGet(port(), "/app.js", {"If-None-Match: " + etag});
  EXPECT_EQ(byTag.status, 304);
  EXPECT_EQ(byTag.body, "");
  EXPECT_EQ(byTag.header("ETag"), etag);
  EXPECT_EQ(httpGet(port(), "/app.js", {"If-None-Match: \"other\""}).status, 200);
  EXPECT_EQ(httpGet(port(), "/app.js", {"If-Modified-Since: " + first.header("Last-Modified")}).status, 304);
  EXPECT_EQ(httpGet(port(), "/app.js", {"If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"}).status, 200);
  EXPECT_EQ(httpGet(port(), "/app.js", {"If-Match: \"other\""}).status, 412);
}

TEST_F(StaticFilesTest, ByteRangesGet206And416AndIfRangeFallsBackToTheWholeFile) {
  const HttpResponse part = httpGet(port(), "/big.bin", {"Range: bytes=1000-1999"});
  ASSERT_EQ(part.status, 206) << part.describe();
  EXPECT_EQ(part.body, big_.substr(1000, 1000));
  EXPECT_EQ(part.header("Content-Range"), fmt::format("bytes 1000-1999/{}", big_.size()));
  EXPECT_EQ(httpGet(port(), "/big.bin", {"Range: bytes=-10"}).body, big_.substr(big_.size() - 10));
  const HttpResponse beyond = httpGet(port(), "/big.bin", {"Range: bytes=9999999-"});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.header("Content-Range"), fmt::format("bytes */{}", big_.size()));
  const std::string etag = httpGet(port(), "/big.bin").header("ETag");
  EXPECT_EQ(httpGet(port(), "/big.bin", {"Range: bytes=0-0", "If-Range: " + etag}).status, 206);
  EXPECT_EQ(httpGet(port(), "/big.bin", {"Range: bytes=0-0", "If-Range: \"stale\""}).status, 200);
}

TEST_F(StaticFilesTest, LargeFileArrivesWhole) {
  const HttpResponse r = httpGet(port(), "/big.bin");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.body.size(), big_.size());
  EXPECT_TRUE(r.body == big_);
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
}

TEST_F(StaticFilesTest, HeadGetsTheHeadersWithoutTheBody) {
  const HttpResponse r = httpRequest(port(), "HEAD", "/big.bin");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Length"), std::to_string(big_.size()));
  EXPECT_EQ(r.body, "");
}

TEST_F(StaticFilesTest, PrecompressedSiblingsGoToClientsThatAcceptThem) {
  const HttpResponse br = httpGet(port(), "/app.js", {"Accept-Encoding: gzip, br"});
  EXPECT_EQ(br.body, "pretend-brotli");
  EXPECT_EQ(br.header("Content-Encoding"), "br");
  EXPECT_EQ(br.header("Content-Type"), "text/javascript; charset=utf-8");
  const HttpResponse gz = httpGet(port(), "/app.js", {"Accept-Encoding: gzip"});
  EXPECT_EQ(gz.body, "pretend-gzip-js");
  EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
  const HttpResponse refused = httpGet(port(), "/app.js", {"Accept-Encoding: br;q=0, gzip;q=0"});
  EXPECT_EQ(refused.body, "console.log(1)\n");
  EXPECT_EQ(refused.header("Content-Encoding"), "");
  EXPECT_NE(br.header("ETag"), refused.header("ETag"));
}

TEST_F(StaticFilesTest, MissingFileFallsBackToTheBackendOrGets404) {
  const HttpResponse proxied = httpGet(port(), "/missing.css");
  EXPECT_EQ(proxied.status, 200);
  EXPECT_EQ(proxied.body, "app\n");
  ASSERT_EQ(backend_.records().size(), 1u);
  EXPECT_EQ(backend_.records().back().target, "/missing.css");
  EXPECT_EQ(httpGet(port(), "/nothing-here").status, 404) << "the last rule falls back to 404";
  EXPECT_EQ(httpGet(port(), "/api/users").body, "app\n") << "rules after a static rule still route";
}

TEST_F(StaticFilesTest, DirectoriesServeTheirIndexAfterASlashRedirect) {
  EXPECT_EQ(httpGet(port(), "/").body, "<h1>home</h1>\n");
  const HttpResponse redirect = httpGet(port(), "/docs?x=1");
  EXPECT_EQ(redirect.status, 301);
  EXPECT_EQ(redirect.header("Location"), "/docs/?x=1");
  EXPECT_EQ(httpGet(port(), "/docs/").body, "<h1>docs</h1>\n");
  EXPECT_EQ(httpGet(port(), "/empty/").status, 404) << "no listing";
}

TEST_F(StaticFilesTest, OtherMethodsGet405) {
  const HttpResponse r = httpRequest(port(), "DELETE", "/index.html");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST_F(StaticFilesTest, HostilePathsNeverLeaveTheRoot) {
  const std::vector<std::string> hostile{
      "/leak.css",                       // a symlink out of the root
      "/%2e%2e/outside/secret.css",      // encoded dot segments: normalised away, stays in the root
      "/css/..%2f..%2foutside/secret.css",
      "/css%2fsite.css",                 // an encoded slash names no file
      "/css/site.css%00.txt",            // NUL
      "/css\\site.css",                  // backslash
      "/.env",                           // dotfile
      "/css/.%2e/.env",
  };
  for (const std::string& path : hostile) {
    TcpClient client(port());
    ASSERT_TRUE(client.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const HttpResponse r = client.readResponse();
    EXPECT_TRUE(r.status != 200 || r.body == "app\n") << path << ": " << r.status << " " << r.body;
    EXPECT_EQ(r.body.find("outside the root"), std::string::npos) << path;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << path;
    EXPECT_EQ(r.body.find(site_.path().string()), std::string::npos) << path << ": no paths in replies";
  }
  EXPECT_EQ(httpGet(port(), "//css//site.css").status, 200) << "double slashes are merged, inside the root";
  EXPECT_EQ(httpGet(port(), "/style/site.css").status, 200) << "a symlink inside the root is followed";
  EXPECT_EQ(httpGet(port(), "/.well-known/security.txt").status, 200) << "RFC 8615";
}

TEST_F(StaticFilesTest, AnEditedFileIsServedFreshWithinRevalidate) {
  EXPECT_EQ(httpGet(port(), "/app.js", {"Accept-Encoding: identity"}).body, "console.log(1)\n");
  site_.writeFile("www/app.js", "console.log(2)\n");
  EXPECT_TRUE(waitFor([&] { return httpGet(port(), "/app.js").body == "console.log(2)\n"; }, 3s));
}

TEST_F(StaticFilesTest, KeepAliveAndPipelinedFilesComeBackInOrder) {
  TcpClient client(port());
  ASSERT_TRUE(client.send("GET /css/site.css HTTP/1.1\r\nHost: x\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /missing.css HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.readResponse().body, "body { color: red }\n");
  EXPECT_EQ(client.readResponse().body.size(), big_.size());
  EXPECT_EQ(client.readResponse().body, "app\n");
}

TEST_F(StaticFilesTest, AClientThatPausesWhilePipeliningGetsEveryReply) {
  const std::string file(40 * 1024, 'p');
  site_.writeFile("www/forty.txt", file);
  const std::string request = "GET /forty.txt HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string batch;
  for (int i = 0; i < 150; ++i) batch += request;
  TcpClient client(port());
  // 150 requests unread: weir stops at its output's high-water mark (and the kernel's buffers
  // fill). Then the client empties the socket before each new request, so every request
  // arrives while weir holds replies back and the socket has room for all of them.
  ASSERT_TRUE(client.send(batch, 10s));
  std::string received;
  for (int i = 0; i < 50; ++i) {
    for (std::string chunk = client.readSome(20ms); !chunk.empty(); chunk = client.readSome(20ms)) received += chunk;
    ASSERT_TRUE(client.send(request));
  }
  auto replies = [&] {
    size_t n = 0;
    for (size_t at = received.find("HTTP/1.1 200 "); at != std::string::npos; at = received.find("HTTP/1.1 200 ", at + 1)) ++n;
    return n;
  };
  while (replies() < 200) {
    const std::string chunk = client.readSome(5s);
    if (chunk.empty()) break;
    received += chunk;
  }
  EXPECT_EQ(replies(), 200u) << "replies left in weir's buffer with nothing armed to send them";
}

TEST(StaticFilesSlowClient, ADownloadLongerThanKeepAliveIsNotCutOff) {
  TempDir site;
  const std::string big(32 << 20, 'z');  // more than loopback's socket buffers hold
  site.writeFile("www/big.bin", big);
  WeirInstance weir(fmt::format(R"(global: {{ threads: 1, log: stdout }}
defaults: {{ timeout: {{ http_keep_alive: 200ms, http_request: 200ms }} }}
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    static:
      - root: {}/www
)",
                                site.path().string()));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"));
  size_t received = client.readSome().size();
  // A reader slower than the keep-alive timeout: the reply is still going out, so no timer may
  // end the connection (timeout.client bounds a client that stops reading altogether).
  std::this_thread::sleep_for(500ms);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (received < big.size() + 200 && std::chrono::steady_clock::now() < deadline) {
    const std::string chunk = client.readSome(2s);
    if (chunk.empty()) break;
    received += chunk.size();
  }
  EXPECT_GT(received, big.size()) << "the whole file (and its head) arrived";
}

TEST(StaticFilesConfig, RootThatIsAFileIsAConfigErrorAndAMissingOneAWarning) {
  TempDir dir;
  const std::string file = dir.writeFile("not-a-dir", "x").string();
  const WeirCheck check = WeirInstance::check(fmt::format(R"(frontends:
  fe:
    bind: ["127.0.0.1:0"]
    static:
      - root: {}
      - root: /nonexistent/weir/www
    default_backend: be
backends:
  be: {{ servers: [{{ name: s1, address: "127.0.0.1:9" }}] }}
)",
                                                          file));
  EXPECT_EQ(check.exitCode, 1);
  EXPECT_NE(check.output.find("weir.yaml:5:15: frontends.fe.static[0].root: '" + file + "' is not a directory"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("weir.yaml:6:15: frontends.fe.static[1].root: '/nonexistent/weir/www' does not exist"),
            std::string::npos)
      << check.output;
}

}  // namespace
}  // namespace weir::test
