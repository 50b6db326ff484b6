#include "weir/static/mime_types.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace weir::static_files {
namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";

/// A directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/weir-mime-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Writes `contents` to `name` in the directory; returns its full path.
  std::string write(const std::string& name, const std::string& contents) const {
    const std::string full = path_ + "/" + name;
    std::ofstream out(full, std::ios::binary);
    out << contents;
    return full;
  }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------
// The built-in table

TEST(MimeTypes, TextTypesOfTheWebCarryUtf8Charset) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("module.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("index.htm"), "text/html; charset=utf-8");
  EXPECT_EQ(types.lookup("notes.txt"), "text/plain; charset=utf-8");
}

TEST(MimeTypes, JsonSvgAndXmlBasedTypesCarryUtf8Charset) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("data.json"), "application/json; charset=utf-8");
  EXPECT_EQ(types.lookup("app.js.map"), "application/json; charset=utf-8");
  EXPECT_EQ(types.lookup("logo.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(types.lookup("feed.rss"), "application/rss+xml; charset=utf-8");
  EXPECT_EQ(types.lookup("feed.atom"), "application/atom+xml; charset=utf-8");
  EXPECT_EQ(types.lookup("site.webmanifest"), "application/manifest+json; charset=utf-8");
}

TEST(MimeTypes, BinaryTypesHaveNoCharset) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("logo.png"), "image/png");
  EXPECT_EQ(types.lookup("photo.jpg"), "image/jpeg");
  EXPECT_EQ(types.lookup("photo.jpeg"), "image/jpeg");
  EXPECT_EQ(types.lookup("font.woff2"), "font/woff2");
  EXPECT_EQ(types.lookup("font.woff"), "font/woff");
  EXPECT_EQ(types.lookup("module.wasm"), "application/wasm");
  EXPECT_EQ(types.lookup("doc.pdf"), "application/pdf");
  EXPECT_EQ(types.lookup("archive.tar.gz"), "application/gzip");
}

TEST(MimeTypes, ExtensionsAreMatchedWithoutRegardToCase) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("LOGO.PNG"), "image/png");
  EXPECT_EQ(types.lookup("Site.Css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("font.WoFf2"), "font/woff2");
}

TEST(MimeTypes, OnlyTheLastExtensionCounts) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("style.css.png"), "image/png");
  EXPECT_EQ(types.lookup("image.png.css"), "text/css; charset=utf-8");
}

TEST(MimeTypes, FullPathsAreLookedUpByTheirFileNamesExtension) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("/var/www/assets/site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("assets/img/logo.png"), "image/png");
}

TEST(MimeTypes, ANameWithoutExtensionIsOctetStream) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("README"), kOctetStream);
  EXPECT_EQ(types.lookup("bin/run"), kOctetStream);
  EXPECT_EQ(types.lookup(""), kOctetStream);
}

TEST(MimeTypes, ADotInADirectoryNameIsNotAnExtension) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("v1.css/README"), kOctetStream);
  EXPECT_EQ(types.lookup("/srv/site.png/file"), kOctetStream);
}

TEST(MimeTypes, ATrailingDotIsNoExtension) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("file."), kOctetStream);
  EXPECT_EQ(types.lookup("dir/."), kOctetStream);
}

TEST(MimeTypes, AnUnknownExtensionIsOctetStream) {
  const MimeTypes types;
  EXPECT_EQ(types.lookup("data.unknownext"), kOctetStream);
  EXPECT_EQ(types.lookup("x.averyveryverylongextension"), kOctetStream);
}

TEST(MimeTypes, ADotfileNameIsTakenAsItsExtension) {
  // ".css" has "css" after its last dot: that is how lookup() reads it.
  const MimeTypes types;
  EXPECT_EQ(types.lookup(".css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("dir/.htaccess"), kOctetStream);
}

// ---------------------------------------------------------------------------------------------
// load()

TEST(MimeTypes, LoadAddsEveryExtensionOfALine) {
  TempDir dir;
  const std::string file = dir.write("mime.types",
                                     "application/x-weir-test\twtst wtst2 WTST3\n"
                                     "image/x-weir-raw   wraw\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("a.wtst"), "application/x-weir-test");
  EXPECT_EQ(types.lookup("a.wtst2"), "application/x-weir-test");
  EXPECT_EQ(types.lookup("a.wtst3"), "application/x-weir-test");  // stored lower case
  EXPECT_EQ(types.lookup("a.WTST"), "application/x-weir-test");
  EXPECT_EQ(types.lookup("a.wraw"), "image/x-weir-raw");
}

TEST(MimeTypes, LoadSkipsCommentsAndBlankLines) {
  TempDir dir;
  const std::string file = dir.write("mime.types",
                                     "# application/x-commented cmt\n"
                                     "\n"
                                     "   \n"
                                     "application/x-real real # trailing comment ext2\n"
                                     "#application/x-other other\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("f.real"), "application/x-real");
  EXPECT_EQ(types.lookup("f.cmt"), kOctetStream);
  EXPECT_EQ(types.lookup("f.ext2"), kOctetStream);
  EXPECT_EQ(types.lookup("f.other"), kOctetStream);
}

TEST(MimeTypes, LoadIgnoresLinesWhoseFirstWordIsNoType) {
  TempDir dir;
  const std::string file = dir.write("mime.types", "notatype ext\napplication/x-ok ok\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("f.ext"), kOctetStream);
  EXPECT_EQ(types.lookup("f.ok"), "application/x-ok");
}

TEST(MimeTypes, LoadedTextTypesGetTheCharsetToo) {
  TempDir dir;
  const std::string file = dir.write("mime.types", "text/x-weir wtxt\napplication/x-foo+xml fxml\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("a.wtxt"), "text/x-weir; charset=utf-8");
  EXPECT_EQ(types.lookup("a.fxml"), "application/x-foo+xml; charset=utf-8");
}

TEST(MimeTypes, LoadKeepsTheBuiltInTypesItDoesNotMention) {
  TempDir dir;
  const std::string file = dir.write("mime.types", "application/x-weir wx\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("a.png"), "image/png");
  EXPECT_EQ(types.lookup("a.css"), "text/css; charset=utf-8");
}

TEST(MimeTypes, LoadOfAMissingFileFailsAndChangesNothing) {
  MimeTypes types;
  EXPECT_FALSE(types.load("/tmp/weir-no-such-dir-for-mime/mime.types"));
  EXPECT_EQ(types.lookup("a.png"), "image/png");
}

TEST(MimeTypes, AnExplicitLoadOverridesABuiltInEntry) {
  // load() is "adds the entries": an explicit file may replace the table's choice.
  TempDir dir;
  const std::string file = dir.write("mime.types", "application/javascript js\n");
  MimeTypes types;
  ASSERT_TRUE(types.load(file));
  EXPECT_EQ(types.lookup("app.js"), "application/javascript; charset=utf-8");
}

// ---------------------------------------------------------------------------------------------
// systemDefault()

TEST(MimeTypes, SystemDefaultKeepsTheBuiltInWebTypes) {
  const MimeTypes types = MimeTypes::systemDefault();
  EXPECT_EQ(types.lookup("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(types.lookup("font.woff2"), "font/woff2");
  EXPECT_EQ(types.lookup("site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(types.lookup("logo.png"), "image/png");
  EXPECT_EQ(types.lookup("x.map"), "application/json; charset=utf-8");
}

TEST(MimeTypes, SystemDefaultPrefersTheBuiltInTypeWhereTheSystemTableDiffers) {
  if (!std::filesystem::exists("/etc/mime.types")) GTEST_SKIP() << "no /etc/mime.types on this machine";
  MimeTypes systemOnly;
  ASSERT_TRUE(systemOnly.load("/etc/mime.types"));
  const MimeTypes types = MimeTypes::systemDefault();
  const MimeTypes builtin;
  int differing = 0;
  for (std::string_view name : {"a.xml", "a.ico", "a.wav", "a.rss", "a.js", "a.json", "a.svg", "a.woff2"}) {
    EXPECT_EQ(types.lookup(name), builtin.lookup(name)) << name;
    if (systemOnly.lookup(name) != builtin.lookup(name)) ++differing;
  }
  if (differing == 0) GTEST_SKIP() << "this /etc/mime.types agrees with the built-in table";
}

TEST(MimeTypes, SystemDefaultAddsExtensionsTheBuiltInTableLacks) {
  if (!std::filesystem::exists("/etc/mime.types")) GTEST_SKIP() << "no /etc/mime.types on this machine";
  MimeTypes systemOnly;
  ASSERT_TRUE(systemOnly.load("/etc/mime.types"));
  const MimeTypes builtin;
  ASSERT_EQ(builtin.lookup("doc.odt"), kOctetStream);
  if (systemOnly.lookup("doc.odt") == kOctetStream) GTEST_SKIP() << "this /etc/mime.types has no odt";
  EXPECT_EQ(MimeTypes::systemDefault().lookup("doc.odt"), systemOnly.lookup("doc.odt"));
  EXPECT_NE(MimeTypes::systemDefault().lookup("doc.odt"), kOctetStream);
}

}  // namespace
}  // namespace weir::static_files
