#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "weir/upstream/backend.h"
#include "weir/upstream/server.h"

namespace weir::upstream {
namespace {

using Outcome = Pick::Outcome;

struct ServerSpec {
  int weight = 1;
  bool backup = false;
  int maxconn = 0;
  int64_t slowstartMs = 0;
};

config::BackendConfig backendWith(const std::vector<ServerSpec>& specs,
                                  config::BalanceAlgorithm balance = config::BalanceAlgorithm::kRoundRobin) {
  config::BackendConfig cfg;
  cfg.name = "be";
  cfg.balance = balance;
  for (size_t i = 0; i < specs.size(); ++i) {
    config::ServerConfig s;
    s.name = "s" + std::to_string(i);
    s.weight = specs[i].weight;
    s.backup = specs[i].backup;
    s.maxconn = specs[i].maxconn;
    s.slowstart = config::Millis(specs[i].slowstartMs);
    cfg.servers.push_back(s);
  }
  return cfg;
}

/// A backend and one worker's picker over it.
struct Fixture {
  int ids = 0;
  Backend backend;
  ServerPicker picker;
  explicit Fixture(const config::BackendConfig& cfg, int worker = 0) : backend(cfg, 0, ids), picker(backend, worker) {}

  Pick pick(int64_t nowMs, std::vector<int> excluded = {}, uint64_t clientHash = 0) {
    return picker.pick(backend, clientHash, excluded, nowMs);
  }
  /// Picks and releases at once; the server's backend index, or -1 when nothing was acquired.
  int pickIndex(int64_t nowMs, std::vector<int> excluded = {}, uint64_t clientHash = 0) {
    const Pick p = pick(nowMs, std::move(excluded), clientHash);
    if (p.outcome != Outcome::kAcquired) return -1;
    p.server->release(p.probe);
    return p.server->index();
  }
  /// `n` picks, released at once, as a string of server indices ('-' for none).
  std::string sequence(int n, int64_t nowMs, std::vector<int> excluded = {}) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      const int k = pickIndex(nowMs, excluded);
      out += k < 0 ? '-' : static_cast<char>('0' + k);
    }
    return out;
  }
  int active(int i) { return backend.server(i).active().load(); }
};

// ---------------------------------------------------------------------------------------------
// Round-robin, backups, exclusion

TEST(ServerPicker, RoundRobinCyclesPrimaries) {
  Fixture f(backendWith({{}, {}, {}, {.backup = true}}));
  EXPECT_EQ(f.sequence(7, 0), "0120120");
}

TEST(ServerPicker, WorkersStartAtDifferentPrimaries) {
  auto cfg = backendWith({{}, {}, {}});
  Fixture w1(cfg, 1), w2(cfg, 2);
  EXPECT_EQ(w1.sequence(3, 0), "120");
  EXPECT_EQ(w2.sequence(3, 0), "201");
}

TEST(ServerPicker, RoundRobinHonoursWeights) {
  Fixture f(backendWith({{.weight = 5}, {.weight = 1}, {.weight = 1}}));
  EXPECT_EQ(f.sequence(7, 0), "0010200");
}

TEST(ServerPicker, AcquiredPickHoldsASlotUntilReleased) {
  Fixture f(backendWith({{}}));
  const Pick p = f.pick(0);
  ASSERT_EQ(p.outcome, Outcome::kAcquired);
  ASSERT_NE(p.server, nullptr);
  EXPECT_FALSE(p.probe);
  EXPECT_EQ(f.active(0), 1);
  p.server->release(p.probe);
  EXPECT_EQ(f.active(0), 0);
}

TEST(ServerPicker, ExcludedServersAreSkipped) {
  Fixture f(backendWith({{}, {}, {}}));
  EXPECT_EQ(f.sequence(4, 0, {1}), "0202");
}

TEST(ServerPicker, BackupsOnlyWhenNoPrimaryIsUsable) {
  Fixture f(backendWith({{}, {}, {.backup = true}, {.backup = true}}));
  EXPECT_EQ(f.sequence(4, 0), "0101");
  EXPECT_EQ(f.sequence(3, 0, {0}), "111");
  EXPECT_EQ(f.sequence(3, 0, {0, 1}), "222");  // the first backup, every time
  EXPECT_EQ(f.sequence(2, 0, {0, 1, 2}), "33");
  EXPECT_EQ(f.pick(0, {0, 1, 2, 3}).outcome, Outcome::kNone);
}

TEST(ServerPicker, BackupsWhenPrimariesAreDown) {
  Fixture f(backendWith({{}, {}, {.backup = true}, {.backup = true}}));
  ASSERT_EQ(f.backend.maxFails(), 1);
  f.backend.recordFailure(f.backend.server(0), ServerFailure::kConnectError, 1000);
  EXPECT_EQ(f.sequence(3, 1500), "111");
  f.backend.recordFailure(f.backend.server(1), ServerFailure::kConnectError, 1000);
  EXPECT_EQ(f.sequence(3, 1500), "222");
  // The first backup down too: the second one.
  f.backend.recordFailure(f.backend.server(2), ServerFailure::kConnectError, 1000);
  EXPECT_EQ(f.sequence(3, 1500), "333");
}

TEST(ServerPicker, AllBackupsSpreadsOverBackups) {
  auto cfg = backendWith({{}, {.backup = true}, {.backup = true}, {.backup = true}});
  cfg.allbackups = true;
  Fixture f(cfg);
  EXPECT_EQ(f.sequence(6, 0, {0}), "123123");
  EXPECT_EQ(f.sequence(4, 0, {0, 2}), "1313");
}

TEST(ServerPicker, FirstBackupAtMaxconnIsSaturated) {
  Fixture f(backendWith({{}, {.backup = true, .maxconn = 1}, {.backup = true}}));
  const Pick first = f.pick(0, {0});
  ASSERT_EQ(first.outcome, Outcome::kAcquired);
  EXPECT_EQ(first.server->index(), 1);
  // Without allbackups the request waits for the first backup rather than using the second.
  EXPECT_EQ(f.pick(0, {0}).outcome, Outcome::kSaturated);
  first.server->release(first.probe);
  EXPECT_EQ(f.pickIndex(0, {0}), 1);
}

TEST(ServerPicker, NoUsableServerIsNone) {
  Fixture f(backendWith({{}, {}}));
  const Pick p = f.pick(0, {0, 1});
  EXPECT_EQ(p.outcome, Outcome::kNone);
  EXPECT_EQ(p.server, nullptr);
  f.backend.recordFailure(f.backend.server(0), ServerFailure::kConnectError, 100);
  f.backend.recordFailure(f.backend.server(1), ServerFailure::kConnectError, 100);
  EXPECT_EQ(f.pick(200).outcome, Outcome::kNone);

  Fixture empty(backendWith({}));
  EXPECT_EQ(empty.pick(0).outcome, Outcome::kNone);
}

// ---------------------------------------------------------------------------------------------
// maxconn

TEST(ServerPicker, ServerAtMaxconnIsSkipped) {
  Fixture f(backendWith({{.maxconn = 1}, {}}));
  f.backend.server(0).active() = 1;
  EXPECT_EQ(f.sequence(3, 0), "111");
  f.backend.server(0).active() = 0;
  EXPECT_EQ(f.sequence(2, 0).find('0') != std::string::npos, true);
}

TEST(ServerPicker, AllPrimariesFullIsSaturatedNotBackup) {
  Fixture f(backendWith({{.maxconn = 2}, {.maxconn = 1}, {.backup = true}}));
  std::vector<Pick> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(f.pick(0));
    ASSERT_EQ(held.back().outcome, Outcome::kAcquired);
    EXPECT_FALSE(held.back().server->backup());
  }
  EXPECT_EQ(f.active(0), 2);
  EXPECT_EQ(f.active(1), 1);
  const Pick p = f.pick(0);
  EXPECT_EQ(p.outcome, Outcome::kSaturated);
  EXPECT_EQ(p.server, nullptr);
  EXPECT_EQ(f.active(2), 0);  // the backup was not touched
  // A full server that is excluded does not count: only the other full one.
  EXPECT_EQ(f.pick(0, {0}).outcome, Outcome::kSaturated);
  // One slot frees: that server is picked.
  held[0].server->release(held[0].probe);
  const Pick again = f.pick(0);
  ASSERT_EQ(again.outcome, Outcome::kAcquired);
  EXPECT_EQ(again.server, held[0].server);
}

TEST(ServerPicker, FullPrimaryAndDownPrimaryIsSaturated) {
  Fixture f(backendWith({{.maxconn = 1}, {}, {.backup = true}}));
  f.backend.server(0).active() = 1;
  f.backend.recordFailure(f.backend.server(1), ServerFailure::kConnectError, 0);
  EXPECT_EQ(f.pick(100).outcome, Outcome::kSaturated);
}

// ---------------------------------------------------------------------------------------------
// leastconn

TEST(ServerPicker, LeastConnAvoidsBusyServer) {
  Fixture f(backendWith({{}, {}, {}}, config::BalanceAlgorithm::kLeastConn));
  f.backend.server(0).active() = 5;
  const std::string seq = f.sequence(10, 0);
  EXPECT_EQ(seq.find('0'), std::string::npos) << seq;
  EXPECT_EQ(seq, "1212121212");  // idle ties rotate
  // Held picks fill the idle servers up to the busy one's level first.
  for (int i = 0; i < 10; ++i) {
    const Pick p = f.pick(0);
    ASSERT_EQ(p.outcome, Outcome::kAcquired);
    EXPECT_NE(p.server->index(), 0);
  }
  EXPECT_EQ(f.active(1), 5);
  EXPECT_EQ(f.active(2), 5);
}

TEST(ServerPicker, LeastConnRespectsWeights) {
  Fixture f(backendWith({{.weight = 4}, {.weight = 1}}, config::BalanceAlgorithm::kLeastConn));
  f.backend.server(0).active() = 4;
  f.backend.server(1).active() = 3;
  EXPECT_EQ(f.pickIndex(0), 0);
}

TEST(ServerPicker, LeastConnSaturatedWhenAllFull) {
  Fixture f(backendWith({{.maxconn = 1}, {.maxconn = 1}}, config::BalanceAlgorithm::kLeastConn));
  ASSERT_EQ(f.pick(0).outcome, Outcome::kAcquired);
  ASSERT_EQ(f.pick(0).outcome, Outcome::kAcquired);
  EXPECT_EQ(f.pick(0).outcome, Outcome::kSaturated);
}

// ---------------------------------------------------------------------------------------------
// source

TEST(ServerPicker, SourceSendsAClientToTheSameServer) {
  Fixture f(backendWith({{}, {}, {}, {}}, config::BalanceAlgorithm::kSource));
  for (uint64_t hash : {uint64_t{1}, uint64_t{0x123456789abcdefULL}, uint64_t{0xfedcba9876543210ULL}}) {
    const int first = f.pickIndex(0, {}, hash);
    ASSERT_GE(first, 0);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(f.pickIndex(0, {}, hash), first);
  }
  // Different clients reach more than one server.
  std::vector<bool> seen(4, false);
  for (uint64_t h = 0; h < 200; ++h) seen[static_cast<size_t>(f.pickIndex(0, {}, h * 0x9e3779b97f4a7c15ULL))] = true;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 4);
}

TEST(ServerPicker, SourceMovesClientOffADownServer) {
  Fixture f(backendWith({{}, {}, {}, {}}, config::BalanceAlgorithm::kSource));
  const uint64_t hash = 0x0123456789abcdefULL;
  const int home = f.pickIndex(0, {}, hash);
  ASSERT_GE(home, 0);
  f.backend.recordFailure(f.backend.server(home), ServerFailure::kConnectError, 1000);
  const int other = f.pickIndex(1500, {}, hash);
  ASSERT_GE(other, 0);
  EXPECT_NE(other, home);
  EXPECT_EQ(f.pickIndex(1600, {}, hash), other);  // and stays there
  // Excluding the home server (a retry) also moves the client, to the same fallback.
  EXPECT_EQ(f.pickIndex(0 + 20000, {home}, hash), other);
}

TEST(ServerPicker, SourceWaitsForItsServerAtMaxconn) {
  Fixture f(backendWith({{.maxconn = 1}, {.maxconn = 1}, {.maxconn = 1}}, config::BalanceAlgorithm::kSource));
  const uint64_t hash = 0xabcdef0123456789ULL;
  const Pick held = f.pick(0, {}, hash);
  ASSERT_EQ(held.outcome, Outcome::kAcquired);
  const Pick p = f.pick(0, {}, hash);
  EXPECT_EQ(p.outcome, Outcome::kSaturated);
  EXPECT_EQ(p.server, held.server);
  EXPECT_EQ(held.server->active().load(), 1);
  // Other servers are idle, yet not used: affinity wins.
  for (int i = 0; i < 3; ++i)
    if (&f.backend.server(i) != held.server) {
      EXPECT_EQ(f.active(i), 0);
    }
  held.server->release(held.probe);
  const Pick after = f.pick(0, {}, hash);
  ASSERT_EQ(after.outcome, Outcome::kAcquired);
  EXPECT_EQ(after.server, held.server);
}

// ---------------------------------------------------------------------------------------------
// Passive health

config::BackendConfig passiveHealth(int maxFails, int64_t failTimeoutMs, int servers = 2) {
  auto cfg = backendWith(std::vector<ServerSpec>(static_cast<size_t>(servers)));
  cfg.max_fails = maxFails;
  cfg.fail_timeout = config::Millis(failTimeoutMs);
  return cfg;
}

TEST(PassiveHealth, MaxFailsWithinFailTimeoutTakesServerOut) {
  Fixture f(passiveHealth(3, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 2000);
  EXPECT_TRUE(s0.usable(2500));
  EXPECT_EQ(s0.state(2500), Server::State::kUp);
  EXPECT_NE(f.sequence(2, 2500).find('0'), std::string::npos);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 3000);
  EXPECT_EQ(s0.state(3000), Server::State::kDown);
  EXPECT_FALSE(s0.usable(3000));
  EXPECT_EQ(s0.shared().downTransitions.load(), 1u);
  EXPECT_EQ(f.sequence(6, 3000), "111111");
  EXPECT_EQ(f.sequence(6, 12999), "111111");  // out for fail_timeout from the last failure
  EXPECT_EQ(s0.state(13000), Server::State::kProbe);
}

TEST(PassiveHealth, FailuresOutsideTheWindowDoNotAddUp) {
  Fixture f(passiveHealth(2, 1000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 5000);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 6500);  // a new window
  EXPECT_TRUE(s0.usable(6600));
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 7000);
  EXPECT_FALSE(s0.usable(7100));
}

TEST(PassiveHealth, OnlyTheProbeBringsAServerBack) {
  Fixture f(passiveHealth(1, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  s0.recordSuccess(2000, false);  // a request that began before the outage ends well
  EXPECT_EQ(s0.state(11000), Server::State::kProbe);
}

TEST(PassiveHealth, SuccessesDoNotForgiveFailuresWithinTheWindow) {
  // nginx: max_fails failures within fail_timeout, whatever succeeded in between. A server
  // failing every other request is taken out.
  Fixture f(passiveHealth(2, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  s0.recordSuccess(1500, false);
  EXPECT_TRUE(s0.usable(1600));
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 2000);
  EXPECT_FALSE(s0.usable(2100));
}

TEST(PassiveHealth, TheProbesSuccessRestartsTheFailureCount) {
  Fixture f(passiveHealth(2, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1100);
  const Pick probe = f.pick(11200);
  ASSERT_TRUE(probe.probe);
  s0.recordSuccess(11300, true);
  s0.release(false);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 11400);
  EXPECT_TRUE(s0.usable(11500)) << "one failure after coming back, max_fails 2";
}

TEST(PassiveHealth, FailuresOfRequestsFromBeforeTheOutageDoNotExtendIt) {
  Fixture f(passiveHealth(1, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  f.backend.recordFailure(s0, ServerFailure::kResponseTimeout, 9000);  // began before 1000
  EXPECT_EQ(s0.state(11000), Server::State::kProbe);
}

TEST(PassiveHealth, ExactlyOneProbeAfterFailTimeout) {
  Fixture f(passiveHealth(1, 10000));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  EXPECT_EQ(f.sequence(4, 5000), "1111");

  // Past fail_timeout: one request goes to s0, flagged as the probe.
  const int64_t t = 11000;
  Pick probe;
  for (int i = 0; i < 2 && probe.server != &s0; ++i) {
    const Pick p = f.pick(t);
    ASSERT_EQ(p.outcome, Outcome::kAcquired);
    if (p.server == &s0) {
      probe = p;
    } else {
      EXPECT_FALSE(p.probe);
      p.server->release(p.probe);
    }
  }
  ASSERT_EQ(probe.server, &s0);
  EXPECT_TRUE(probe.probe);
  EXPECT_TRUE(s0.shared().probeInFlight.load());
  // While it is in flight, nobody else reaches s0.
  for (int i = 0; i < 10; ++i) {
    const Pick p = f.pick(t + i);
    ASSERT_EQ(p.outcome, Outcome::kAcquired);
    EXPECT_EQ(p.server->index(), 1);
    EXPECT_FALSE(p.probe);
    p.server->release(p.probe);
  }

  // The probe succeeds: s0 is fully back.
  s0.recordSuccess(t + 20, probe.probe);
  s0.release(probe.probe);
  EXPECT_EQ(s0.state(t + 30), Server::State::kUp);
  EXPECT_FALSE(s0.shared().probeInFlight.load());
  int on0 = 0;
  for (int i = 0; i < 10; ++i) {
    const Pick p = f.pick(t + 30);
    ASSERT_EQ(p.outcome, Outcome::kAcquired);
    EXPECT_FALSE(p.probe);
    on0 += p.server == &s0;
    p.server->release(p.probe);
  }
  EXPECT_EQ(on0, 5);
}

TEST(PassiveHealth, SingleServerProbeInFlightLeavesNothing) {
  Fixture f(passiveHealth(1, 10000, 1));
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 0);
  EXPECT_EQ(f.pick(5000).outcome, Outcome::kNone);
  const Pick probe = f.pick(10000);
  ASSERT_EQ(probe.outcome, Outcome::kAcquired);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(f.pick(10001).outcome, Outcome::kNone);
  // A probe that ends without a verdict (the client left) lets the next request probe.
  s0.release(probe.probe);
  const Pick next = f.pick(10002);
  ASSERT_EQ(next.outcome, Outcome::kAcquired);
  EXPECT_TRUE(next.probe);
  next.server->release(next.probe);
}

TEST(PassiveHealth, FailedProbeTakesServerOutAgain) {
  Fixture f(passiveHealth(3, 10000, 1));
  Server& s0 = f.backend.server(0);
  for (int i = 0; i < 3; ++i) f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);
  EXPECT_EQ(s0.shared().downTransitions.load(), 1u);
  const Pick probe = f.pick(11000);
  ASSERT_EQ(probe.outcome, Outcome::kAcquired);
  ASSERT_TRUE(probe.probe);
  // A single failure of the probe is enough, even with max_fails 3.
  f.backend.recordFailure(s0, ServerFailure::kConnectTimeout, 11500, probe.probe);
  s0.release(probe.probe);
  EXPECT_EQ(s0.state(11600), Server::State::kDown);
  EXPECT_EQ(f.pick(11600).outcome, Outcome::kNone);
  EXPECT_EQ(f.pick(21499).outcome, Outcome::kNone);
  EXPECT_EQ(s0.shared().downTransitions.load(), 1u);  // still the same outage
  // Then a probe again.
  const Pick again = f.pick(21500);
  ASSERT_EQ(again.outcome, Outcome::kAcquired);
  EXPECT_TRUE(again.probe);
  s0.recordSuccess(21600, again.probe);
  s0.release(again.probe);
  const Pick normal = f.pick(21700);
  ASSERT_EQ(normal.outcome, Outcome::kAcquired);
  EXPECT_FALSE(normal.probe);
  normal.server->release(normal.probe);
}

TEST(PassiveHealth, MaxFailsZeroNeverTakesServerOut) {
  Fixture f(passiveHealth(0, 10000));
  Server& s0 = f.backend.server(0);
  for (int i = 0; i < 50; ++i) f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000 + i);
  EXPECT_EQ(s0.failures(ServerFailure::kConnectError), 50u);
  EXPECT_EQ(s0.state(1100), Server::State::kUp);
  EXPECT_EQ(s0.shared().downTransitions.load(), 0u);
  EXPECT_EQ(f.sequence(4, 1100), "0101");
}

TEST(PassiveHealth, FailureCountersPerKind) {
  Fixture f(passiveHealth(0, 10000));
  Server& s0 = f.backend.server(0);
  Server& s1 = f.backend.server(1);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1);
  f.backend.recordFailure(s0, ServerFailure::kConnectTimeout, 2);
  f.backend.recordFailure(s0, ServerFailure::kConnectTimeout, 3);
  f.backend.recordFailure(s0, ServerFailure::kResponseTimeout, 4);
  f.backend.recordFailure(s0, ServerFailure::kResponseTimeout, 5);
  f.backend.recordFailure(s0, ServerFailure::kResponseTimeout, 6);
  f.backend.recordFailure(s0, ServerFailure::kBadResponse, 7);
  f.backend.recordFailure(s1, ServerFailure::kClosed, 8);
  EXPECT_EQ(s0.failures(ServerFailure::kConnectError), 1u);
  EXPECT_EQ(s0.failures(ServerFailure::kConnectTimeout), 2u);
  EXPECT_EQ(s0.failures(ServerFailure::kResponseTimeout), 3u);
  EXPECT_EQ(s0.failures(ServerFailure::kBadResponse), 1u);
  EXPECT_EQ(s0.failures(ServerFailure::kClosed), 0u);
  EXPECT_EQ(s1.failures(ServerFailure::kClosed), 1u);
  EXPECT_EQ(s1.failures(ServerFailure::kConnectError), 0u);

  // Counted also when passive health is on, including while the server is down.
  Fixture g(passiveHealth(1, 10000));
  Server& t0 = g.backend.server(0);
  g.backend.recordFailure(t0, ServerFailure::kBadResponse, 1);
  g.backend.recordFailure(t0, ServerFailure::kBadResponse, 2);
  EXPECT_EQ(t0.failures(ServerFailure::kBadResponse), 2u);
}

// ---------------------------------------------------------------------------------------------
// Slow start

/// Takes server `i` down at `t0`, lets it probe after fail_timeout and succeed; returns when it
/// came back.
int64_t bounce(Fixture& f, int i, int64_t t0) {
  Server& s = f.backend.server(i);
  f.backend.recordFailure(s, ServerFailure::kConnectError, t0);
  const int64_t back = t0 + f.backend.failTimeoutMs();
  EXPECT_EQ(s.state(back), Server::State::kProbe);
  EXPECT_TRUE(s.tryAcquire(true));
  s.recordSuccess(back, true);
  s.release(true);
  EXPECT_EQ(s.state(back), Server::State::kUp);
  return back;
}

TEST(SlowStart, FullWeightAtProcessStart) {
  Fixture f(backendWith({{.weight = 4, .slowstartMs = 10000}, {.weight = 1}}));
  EXPECT_EQ(f.backend.server(0).effectiveWeight(0), 4 * kWeightScale);
  EXPECT_EQ(f.backend.server(0).effectiveWeight(1), 4 * kWeightScale);
  EXPECT_EQ(f.backend.server(0).effectiveWeight(123456789), 4 * kWeightScale);
  EXPECT_EQ(f.backend.server(1).effectiveWeight(0), kWeightScale);
}

TEST(SlowStart, WeightRampsLinearlyAfterComingBack) {
  auto cfg = backendWith({{.weight = 4, .slowstartMs = 10000}, {.weight = 1}});
  cfg.fail_timeout = config::Millis(5000);
  Fixture f(cfg);
  Server& s0 = f.backend.server(0);
  const int64_t full = 4 * kWeightScale;  // 64
  const int64_t t = bounce(f, 0, 100000);
  EXPECT_EQ(s0.shared().upSinceMs.load(), t);
  EXPECT_EQ(s0.effectiveWeight(t), 1);  // never below 1
  EXPECT_EQ(s0.effectiveWeight(t + 100), 1);  // 64 * 100 / 10000 = 0, clamped to 1
  EXPECT_EQ(s0.effectiveWeight(t + 2500), full / 4);  // 16: 25%
  EXPECT_EQ(s0.effectiveWeight(t + 5000), full / 2);
  EXPECT_EQ(s0.effectiveWeight(t + 9999), full * 9999 / 10000);
  EXPECT_EQ(s0.effectiveWeight(t + 10000), full);
  EXPECT_EQ(s0.effectiveWeight(t + 50000), full);
  // A server without slow start is at full weight right away.
  EXPECT_EQ(f.backend.server(1).effectiveWeight(t), kWeightScale);

  // Going down again ends the ramp: during the outage and at the probe it has full weight.
  f.backend.recordFailure(s0, ServerFailure::kConnectError, t + 3000);
  EXPECT_EQ(s0.shared().upSinceMs.load(), 0);
  EXPECT_EQ(s0.effectiveWeight(t + 8000), full);
}

TEST(SlowStart, RampingServerGetsFewPicksAtFirst) {
  auto cfg = backendWith({{.weight = 1, .slowstartMs = 10000}, {.weight = 1}});
  cfg.fail_timeout = config::Millis(5000);
  Fixture f(cfg);
  const int64_t t = bounce(f, 0, 20000);

  auto countOn0 = [&](int64_t now, int n) {
    int on0 = 0;
    for (int i = 0; i < n; ++i) on0 += f.pickIndex(now) == 0;
    return on0;
  };
  // At t + 1000 the weights are 1 and 16: about 1/17 of the picks.
  const int early = countOn0(t + 1000, 200);
  EXPECT_GT(early, 0);
  EXPECT_LT(early, 30);  // < 15%
  EXPECT_NEAR(early, 200 / 17, 2);
  // Halfway, weights 8 and 16: about a third.
  EXPECT_NEAR(countOn0(t + 5000, 240), 80, 3);
  // After the ramp, half.
  EXPECT_NEAR(countOn0(t + 10000, 200), 100, 2);
}

TEST(SlowStart, LeastConnAlsoRamps) {
  auto cfg = backendWith({{.weight = 1, .slowstartMs = 10000}, {.weight = 1}}, config::BalanceAlgorithm::kLeastConn);
  cfg.fail_timeout = config::Millis(5000);
  Fixture f(cfg);
  const int64_t t = bounce(f, 0, 20000);
  // Held picks at t + 2500: weights 4 and 16, so s0 fills to a quarter of s1's load.
  for (int i = 0; i < 50; ++i) ASSERT_EQ(f.pick(t + 2500).outcome, Outcome::kAcquired);
  EXPECT_EQ(f.active(0) + f.active(1), 50);
  EXPECT_NEAR(f.active(0), 10, 1);
}

TEST(ServerStates, ActiveChecksMaintAndDrainEachTakeAServerOutOfRotation) {
  Fixture f(backendWith({{}, {}, {}}));
  f.backend.server(0).setCheckedUp(false, 100);
  f.backend.server(1).shared().admin = AdminState::kMaint;
  EXPECT_EQ(f.sequence(3, 200), "222");
  f.backend.server(2).shared().admin = AdminState::kDrain;
  EXPECT_EQ(f.pick(200).outcome, Outcome::kNone);
  f.backend.server(0).setCheckedUp(true, 300);
  EXPECT_EQ(f.sequence(2, 300), "00");
}

TEST(ServerStates, ActiveAndPassiveHealthMustBothAgree) {
  auto cfg = backendWith({{}, {}});
  cfg.max_fails = 1;
  cfg.fail_timeout = std::chrono::milliseconds(10000);
  Fixture f(cfg);
  Server& s0 = f.backend.server(0);
  f.backend.recordFailure(s0, ServerFailure::kConnectError, 1000);  // passive: out until 11000
  s0.setCheckedUp(true, 2000);  // the checks still say up
  EXPECT_EQ(s0.state(5000), Server::State::kDown);
  s0.setCheckedUp(false, 6000);
  EXPECT_EQ(s0.state(12000), Server::State::kDown) << "passive is over, but the checks say down";
}

TEST(ServerStates, AServerBackFromAFailedCheckRampsUpWithSlowstart) {
  auto cfg = backendWith({{.weight = 4}});
  cfg.servers[0].slowstart = std::chrono::milliseconds(10000);
  Fixture f(cfg);
  Server& s0 = f.backend.server(0);
  EXPECT_EQ(s0.effectiveWeight(0), 4 * kWeightScale);  // not at process start
  s0.setCheckedUp(false, 1000);
  s0.setCheckedUp(true, 2000);
  EXPECT_EQ(s0.effectiveWeight(4500), 4 * kWeightScale / 4);
  EXPECT_EQ(s0.effectiveWeight(12000), 4 * kWeightScale);
}

// ---------------------------------------------------------------------------------------------
// Removing a server from its slot (runtime API)

TEST(ServerSlot, NotVacatedWhileARequestHoldsIt) {
  Fixture f(backendWith({{}, {}}));
  Server& s = f.backend.server(1);
  ASSERT_TRUE(s.tryAcquire(false));
  EXPECT_FALSE(s.tryVacate()) << "a request is in flight";
  EXPECT_TRUE(s.inUse());
  s.release(false);
  EXPECT_TRUE(s.tryVacate());
  EXPECT_FALSE(s.inUse());
}

TEST(ServerSlot, AVacatedServerTakesNoRequest) {
  Fixture f(backendWith({{.maxconn = 5}, {}}));
  for (int i : {0, 1}) {
    Server& s = f.backend.server(i);
    ASSERT_TRUE(s.tryVacate());
    EXPECT_FALSE(s.tryAcquire(false)) << "server " << i;
    EXPECT_FALSE(s.tryAcquire(true)) << "server " << i;
    EXPECT_EQ(s.active().load(), 0) << "the failed attempt gave its count back";
    EXPECT_FALSE(s.shared().probeInFlight.load()) << "and its probe claim";
  }
}

}  // namespace
}  // namespace weir::upstream
