// Issue 3, point 7 end to end: nginx's max_fails / fail_timeout, with one probe request when
// the time is up, and a single-server backend that can be taken out too (unlike nginx).

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/httplog_line.h"
#include "support/simple_config.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

TEST(PassiveHealth, TakesOutEvenTheOnlyServerAnd503sUntilItsProbeSucceeds) {
  FakeBackend app("app");
  WeirInstance weir(simpleConfig({app.address()}, "max_fails: 1\nfail_timeout: 1s\nretries: 0"));
  ASSERT_EQ(httpGet(weir.port(), "/ok").status, 200);

  app.stop();
  EXPECT_EQ(httpGet(weir.port(), "/refused").status, 503);  // counts as a failure: out for 1 s
  app.start();
  // Up again, but weir does not know yet: the client gets 503 at once, the server nothing.
  const HttpResponse out = httpGet(weir.port(), "/while-out");
  EXPECT_EQ(out.status, 503);
  EXPECT_NE(out.body.find("no server is available"), std::string::npos) << out.body;
  EXPECT_EQ(app.countTarget("/while-out"), 0u);

  // After fail_timeout one request probes it; it succeeds and the server is back for all.
  int n = 0;
  EXPECT_TRUE(waitFor([&] { return httpGet(weir.port(), "/probe-" + std::to_string(n++)).status == 200; }, 5s));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(httpGet(weir.port(), "/back").status, 200);
}

TEST(PassiveHealth, AFailedProbeTakesTheServerOutAgain) {
  FakeBackend flaky("flaky", {.routes = {"/x=bad=1"}});
  FakeBackend steady("steady");
  WeirInstance weir(simpleConfig({flaky.address(), steady.address()}, "max_fails: 1\nfail_timeout: 300ms"));

  // Malformed responses are failures: the first takes flaky out.
  int sent = 0;
  ASSERT_TRUE(waitFor([&] { return httpGet(weir.port(), "/x?n=" + std::to_string(sent++)).status == 502; }, 5s));
  const size_t before = flaky.countTarget("/x");
  EXPECT_EQ(before, 1u);
  // For the next 300 ms everything goes to steady; then one probe reaches flaky, fails (502 to
  // that client), and flaky is out again. Over ~1 s of steady traffic flaky sees only its probes.
  int badGateways = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    const HttpResponse r = httpGet(weir.port(), "/x?m=" + std::to_string(i));
    badGateways += r.status == 502 ? 1 : 0;
    std::this_thread::sleep_for(20ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const size_t probes = flaky.countTarget("/x") - before;
  EXPECT_GE(probes, 1u);
  // At most one probe per fail_timeout (300 ms) of the time the loop took: not a share of the
  // 50 requests, as it would be with the server back in rotation.
  EXPECT_LE(probes, static_cast<size_t>(elapsed / 300ms) + 1) << "one probe per fail_timeout, not a share of the traffic";
  EXPECT_EQ(static_cast<size_t>(badGateways), probes);
}

}  // namespace
}  // namespace weir::test
