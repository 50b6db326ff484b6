// weir raises its own descriptor limit to what global.maxconn needs (as HAProxy does), so a
// large maxconn works under the usual soft limit of 1024.

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <fstream>
#include <string>

#include "support/weir_instance.h"

namespace weir::test {
namespace {

/// The soft "Max open files" of process `pid`, from /proc; 0 when unreadable.
unsigned long softDescriptorLimit(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(limits, line))
    if (line.rfind("Max open files", 0) == 0) return std::stoul(line.substr(26));
  return 0;
}

/// Lowers this process's soft limit (which weir inherits) for the scope of the test.
class SoftLimit {
 public:
  explicit SoftLimit(rlim_t soft) {
    getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ok_ = setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~SoftLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

constexpr std::string_view kConfig =
    "global: { threads: 1, maxconn: 3000, log: none }\n"
    "frontends:\n"
    "  fe: { bind: [\"127.0.0.1:0\"], default_backend: be }\n"
    "backends:\n"
    "  be: { servers: [ { name: s1, address: \"127.0.0.1:9\" } ] }\n";

TEST(DescriptorLimit, WeirRaisesItsSoftLimitToWhatMaxconnNeeds) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 6256) GTEST_SKIP() << "hard limit below 6256";
  SoftLimit lowered(1024);
  ASSERT_TRUE(lowered.ok());
  WeirInstance weir{std::string(kConfig)};
  EXPECT_EQ(softDescriptorLimit(weir.pid()), 6256u);  // 2 × 3000 + 256
  EXPECT_TRUE(weir.waitForLog("descriptor limit raised from 1024 to 6256 for maxconn=3000"));
}

}  // namespace
}  // namespace weir::test
