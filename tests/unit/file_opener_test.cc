#include "weir/static/file_opener.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace weir::static_files {
namespace {

using Rel = std::optional<std::string>;

/// A directory under /tmp holding `root/` (the static root) and whatever a test puts beside it;
/// removed with everything in it when the test ends.
class TempTree {
 public:
  TempTree() {
    char tmpl[] = "/tmp/weir-opener-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    base_ = made != nullptr ? made : "";
    std::filesystem::create_directory(base_ + "/root");
    rootFd_ = UniqueFd(::open((base_ + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    EXPECT_TRUE(rootFd_.valid());
  }
  ~TempTree() {
    rootFd_.reset();
    std::error_code ec;
    if (!base_.empty()) std::filesystem::remove_all(base_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  int root() const { return rootFd_.get(); }
  /// Full path of `relative` under the temp dir (not the root: "root/x" is inside it).
  std::string at(const std::string& relative) const { return base_ + "/" + relative; }
  void write(const std::string& relative, const std::string& contents) const {
    std::ofstream out(at(relative), std::ios::binary);
    out << contents;
  }
  void mkdir(const std::string& relative) const { std::filesystem::create_directories(at(relative)); }
  void symlink(const std::string& target, const std::string& relative) const {
    ASSERT_EQ(::symlink(target.c_str(), at(relative).c_str()), 0) << std::strerror(errno);
  }

 private:
  std::string base_;
  UniqueFd rootFd_;
};

std::string readAll(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = pread(fd, buf, sizeof(buf), static_cast<off_t>(out.size()))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// ---------------------------------------------------------------------------------------------
// UniqueFd

TEST(UniqueFd, ClosesItsDescriptorAndMovesOwnership) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is defined
    EXPECT_EQ(b.get(), raw);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);  // closed by b's destructor
  EXPECT_EQ(errno, EBADF);
}

// ---------------------------------------------------------------------------------------------
// relativeFilePath

TEST(RelativeFilePath, DropsTheLeadingSlash) {
  EXPECT_EQ(relativeFilePath("/css/site.css", false), Rel("css/site.css"));
  EXPECT_EQ(relativeFilePath("/index.html", false), Rel("index.html"));
}

TEST(RelativeFilePath, TheRootIsTheEmptyPath) {
  EXPECT_EQ(relativeFilePath("/", false), Rel(""));
}

TEST(RelativeFilePath, KeepsATrailingSlash) {
  EXPECT_EQ(relativeFilePath("/docs/", false), Rel("docs/"));
}

TEST(RelativeFilePath, RefusesAPathNotStartingWithSlash) {
  EXPECT_EQ(relativeFilePath("", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("index.html", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("*", false), std::nullopt);
}

TEST(RelativeFilePath, DecodesPercentEscapes) {
  EXPECT_EQ(relativeFilePath("/my%20file.txt", false), Rel("my file.txt"));
  EXPECT_EQ(relativeFilePath("/caf%C3%A9/%3f%25", false), Rel("caf\xC3\xA9/?%"));
}

TEST(RelativeFilePath, DecodesOnlyOnce) {
  EXPECT_EQ(relativeFilePath("/a%2520b", false), Rel("a%20b"));
}

TEST(RelativeFilePath, RefusesAnEncodedSlash) {
  EXPECT_EQ(relativeFilePath("/a%2Fb", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%2fb", true), std::nullopt);
}

TEST(RelativeFilePath, RefusesAnEncodedNul) {
  EXPECT_EQ(relativeFilePath("/a%00b", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%00", true), std::nullopt);
}

TEST(RelativeFilePath, RefusesABackslashWhetherRawOrEncoded) {
  EXPECT_EQ(relativeFilePath("/a\\b", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%5Cb", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%5cb", true), std::nullopt);
}

TEST(RelativeFilePath, RefusesABrokenEscape) {
  EXPECT_EQ(relativeFilePath("/a%2", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a%zzb", false), std::nullopt);
}

TEST(RelativeFilePath, RefusesDotfilesAnywhereInThePath) {
  EXPECT_EQ(relativeFilePath("/.env", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/.git/config", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/app/.htaccess", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a/.hidden/b", false), std::nullopt);
}

TEST(RelativeFilePath, RefusesAnEncodedDotfile) {
  EXPECT_EQ(relativeFilePath("/%2eenv", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/a/%2Egit/x", false), std::nullopt);
}

TEST(RelativeFilePath, ADotInsideANameIsNoDotfile) {
  EXPECT_EQ(relativeFilePath("/a.b/c.d.e", false), Rel("a.b/c.d.e"));
}

TEST(RelativeFilePath, AllowsWellKnownAtTheTopOnly) {
  EXPECT_EQ(relativeFilePath("/.well-known/acme-challenge/tok", false), Rel(".well-known/acme-challenge/tok"));
  EXPECT_EQ(relativeFilePath("/.well-known", false), Rel(".well-known"));
  EXPECT_EQ(relativeFilePath("/.well-known/", false), Rel(".well-known/"));
  EXPECT_EQ(relativeFilePath("/a/.well-known/x", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/.well-known/.secret", false), std::nullopt);
  EXPECT_EQ(relativeFilePath("/.well-knownx/a", false), std::nullopt);
}

TEST(RelativeFilePath, DotfilesTrueAllowsDotfiles) {
  EXPECT_EQ(relativeFilePath("/.env", true), Rel(".env"));
  EXPECT_EQ(relativeFilePath("/app/.htaccess", true), Rel("app/.htaccess"));
}

// ---------------------------------------------------------------------------------------------
// openBeneath

TEST(OpenBeneath, OpensARegularFile) {
  TempTree t;
  t.mkdir("root/css");
  t.write("root/css/site.css", "body{}");
  const OpenedFile f = openBeneath(t.root(), "css/site.css");
  EXPECT_EQ(f.status, OpenStatus::kFile);
  ASSERT_TRUE(f.fd.valid());
  EXPECT_EQ(f.st.st_size, 6);
  EXPECT_EQ(readAll(f.fd.get()), "body{}");
}

TEST(OpenBeneath, OpensADirectory) {
  TempTree t;
  t.mkdir("root/docs");
  const OpenedFile f = openBeneath(t.root(), "docs");
  EXPECT_EQ(f.status, OpenStatus::kDirectory);
  EXPECT_TRUE(f.fd.valid());
  EXPECT_TRUE(S_ISDIR(f.st.st_mode));
  EXPECT_EQ(openBeneath(t.root(), "docs/").status, OpenStatus::kDirectory);
}

TEST(OpenBeneath, TheEmptyPathIsTheRootDirectory) {
  TempTree t;
  EXPECT_EQ(openBeneath(t.root(), "").status, OpenStatus::kDirectory);
}

TEST(OpenBeneath, AMissingFileIsNotFound) {
  TempTree t;
  const OpenedFile f = openBeneath(t.root(), "nope.html");
  EXPECT_EQ(f.status, OpenStatus::kNotFound);
  EXPECT_FALSE(f.fd.valid());
  EXPECT_EQ(openBeneath(t.root(), "no/such/dir.html").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AFileUsedAsADirectoryIsNotFound) {
  TempTree t;
  t.write("root/file.txt", "x");
  EXPECT_EQ(openBeneath(t.root(), "file.txt/x").status, OpenStatus::kNotFound);
  EXPECT_EQ(openBeneath(t.root(), "file.txt/").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AnOverlongNameIsNotFound) {
  TempTree t;
  EXPECT_EQ(openBeneath(t.root(), std::string(300, 'a')).status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, FollowsARelativeSymlinkInsideTheRoot) {
  TempTree t;
  t.mkdir("root/real");
  t.write("root/real/a.txt", "inside");
  t.symlink("real/a.txt", "root/link.txt");
  t.symlink("real", "root/linkdir");
  const OpenedFile f = openBeneath(t.root(), "link.txt");
  EXPECT_EQ(f.status, OpenStatus::kFile);
  EXPECT_EQ(readAll(f.fd.get()), "inside");
  EXPECT_EQ(openBeneath(t.root(), "linkdir/a.txt").status, OpenStatus::kFile);
}

TEST(OpenBeneath, FollowsASymlinkClimbingUpButStayingInside) {
  TempTree t;
  t.mkdir("root/a/b");
  t.write("root/top.txt", "top");
  t.symlink("../../top.txt", "root/a/b/up.txt");
  EXPECT_EQ(openBeneath(t.root(), "a/b/up.txt").status, OpenStatus::kFile);
}

TEST(OpenBeneath, RefusesAnAbsoluteSymlinkPointingOutside) {
  TempTree t;
  t.write("secret.txt", "outside");
  t.symlink(t.at("secret.txt"), "root/escape.txt");
  const OpenedFile f = openBeneath(t.root(), "escape.txt");
  EXPECT_EQ(f.status, OpenStatus::kNotFound);
  EXPECT_FALSE(f.fd.valid());
}

TEST(OpenBeneath, RefusesARelativeSymlinkClimbingOut) {
  TempTree t;
  t.write("secret.txt", "outside");
  t.mkdir("root/a");
  t.symlink("../../secret.txt", "root/a/escape.txt");
  t.symlink("..", "root/parent");
  EXPECT_EQ(openBeneath(t.root(), "a/escape.txt").status, OpenStatus::kNotFound);
  EXPECT_EQ(openBeneath(t.root(), "parent/secret.txt").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, RefusesDotDotComponents) {
  TempTree t;
  t.write("secret.txt", "outside");
  EXPECT_EQ(openBeneath(t.root(), "../secret.txt").status, OpenStatus::kNotFound);
  EXPECT_EQ(openBeneath(t.root(), "/etc/passwd").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AnAbsoluteSymlinkIsRefusedEvenWhenItPointsInsideTheRoot) {
  // RESOLVE_BENEATH refuses every absolute symlink: a site built with absolute links breaks.
  TempTree t;
  t.write("root/real.txt", "inside");
  t.symlink(t.at("root/real.txt"), "root/abs.txt");
  EXPECT_EQ(openBeneath(t.root(), "abs.txt").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, ADanglingOrLoopingSymlinkIsNotFound) {
  TempTree t;
  t.symlink("nowhere.txt", "root/dangling.txt");
  t.symlink("loop2", "root/loop1");
  t.symlink("loop1", "root/loop2");
  EXPECT_EQ(openBeneath(t.root(), "dangling.txt").status, OpenStatus::kNotFound);
  EXPECT_EQ(openBeneath(t.root(), "loop1").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AFifoIsNotFoundAndDoesNotBlock) {
  TempTree t;
  ASSERT_EQ(mkfifo(t.at("root/pipe").c_str(), 0644), 0) << std::strerror(errno);
  EXPECT_EQ(openBeneath(t.root(), "pipe").status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AUnixSocketIsNotFound) {
  TempTree t;
  const int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = t.at("root/sock");
  ASSERT_LT(path.size(), sizeof(addr.sun_path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  EXPECT_EQ(openBeneath(t.root(), "sock").status, OpenStatus::kNotFound);
  close(s);
}

TEST(OpenBeneath, ACharacterDeviceIsNotFound) {
  if (access("/dev/null", R_OK) != 0) GTEST_SKIP() << "no readable /dev/null";
  // A symlink out of the root is refused before the device is reached; so open the device
  // through a root that is /dev itself.
  UniqueFd dev(::open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dev.valid());
  const OpenedFile f = openBeneath(dev.get(), "null");
  EXPECT_EQ(f.status, OpenStatus::kNotFound);
}

TEST(OpenBeneath, AnUnreadableFileIsForbidden) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: root can read anything";
  TempTree t;
  t.write("root/private.txt", "secret");
  ASSERT_EQ(chmod(t.at("root/private.txt").c_str(), 0), 0);
  const OpenedFile f = openBeneath(t.root(), "private.txt");
  EXPECT_EQ(f.status, OpenStatus::kForbidden);
  EXPECT_FALSE(f.fd.valid());
}

}  // namespace
}  // namespace weir::static_files
