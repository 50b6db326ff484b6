// Issue 9 points 4 and 6: the shipped systemd unit passes `systemd-analyze verify` (with
// ExecStart pointing at the built binary) and its hardening keeps systemd's exposure score low;
// `cpack` makes a Debian package with the binary, the unit and a conffile; every shipped
// config passes `weir -c`.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "support/process.h"
#include "support/temp_dir.h"

#ifndef WEIR_BINARY
#error "WEIR_BINARY must be defined (tests/CMakeLists.txt does it)"
#endif

namespace weir::test {
namespace {

std::string repoPath(const std::string& relative) {
  std::string source = __FILE__;
  return source.substr(0, source.rfind("/tests/")) + "/" + relative;
}

TEST(Packaging, TheSystemdUnitVerifiesAndIsHardened) {
  if (!std::filesystem::exists("/usr/bin/systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
  const std::string source = repoPath("packaging/systemd/weir.service");
  std::ifstream in(source);
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty()) << source;
  TempDir dir;
  const std::string unit =
      dir.writeFile("weir.service", std::regex_replace(text.str(), std::regex("/usr/sbin/weir"), WEIR_BINARY)).string();

  const CommandResult verify = runCommand({"systemd-analyze", "verify", unit});
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.err, "") << "no warning either";

  const CommandResult security = runCommand({"systemd-analyze", "security", "--offline=yes", unit});
  std::smatch score;
  const std::string out = security.out + security.err;
  ASSERT_TRUE(std::regex_search(out, score, std::regex(R"(Overall exposure level for weir\.service: ([0-9.]+))"))) << out;
  EXPECT_LT(std::stod(score[1].str()), 2.5) << "systemd's scale: 0 (locked down) to 10 (exposed)";
}

TEST(Packaging, CpackMakesADebianPackageWithTheBinaryUnitAndConffile) {
  const std::string buildDir = std::filesystem::path(WEIR_BINARY).parent_path().string();
  TempDir out;
  const CommandResult pack =
      runCommand({"cpack", "-G", "DEB", "--config", buildDir + "/CPackConfig.cmake", "-B", out.path().string()},
                 std::chrono::seconds(240));
  ASSERT_EQ(pack.exitCode, 0) << pack.out << pack.err;
  std::string deb;
  for (const auto& entry : std::filesystem::directory_iterator(out.path()))
    if (entry.path().extension() == ".deb") deb = entry.path().string();
  ASSERT_FALSE(deb.empty()) << pack.out;
  const CommandResult info = runCommand({"dpkg-deb", "--info", deb});
  EXPECT_NE(info.out.find("Package: weir"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("libevent"), std::string::npos) << "Depends from dpkg-shlibdeps: " << info.out;
  EXPECT_NE(info.out.find("conffiles"), std::string::npos) << info.out;
  const CommandResult files = runCommand({"dpkg-deb", "--contents", deb});
  for (const char* path : {"./usr/sbin/weir", "./usr/lib/systemd/system/weir.service", "./etc/weir/weir.yaml",
                           "./usr/share/doc/weir/weir.yaml.example"})
    EXPECT_NE(files.out.find(path), std::string::npos) << path << " in\n" << files.out;
}

TEST(Packaging, EveryShippedConfigIsValid) {
  for (const char* config : {"packaging/weir.yaml", "packaging/docker/weir.yaml", "packaging/kubernetes/weir.yaml"}) {
    // The container configs take the app server's address from the environment.
    const CommandResult r = runCommand({WEIR_BINARY, "-c", "-f", repoPath(config)}, std::chrono::seconds(30),
                                       {{"APP_ADDRESS", "127.0.0.1:9"}});
    EXPECT_EQ(r.exitCode, 0) << config << ": " << r.out << r.err;
  }
}

}  // namespace
}  // namespace weir::test
