// Issue 9 point 4: the shipped systemd unit passes `systemd-analyze verify` (with ExecStart
// pointing at the built binary) and its hardening keeps systemd's exposure score low.

#include <gtest/gtest.h>

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

TEST(Packaging, TheSystemdUnitVerifiesAndIsHardened) {
  if (!std::filesystem::exists("/usr/bin/systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
  std::string source = __FILE__;
  source = source.substr(0, source.rfind("/tests/")) + "/packaging/systemd/weir.service";
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

}  // namespace
}  // namespace weir::test
