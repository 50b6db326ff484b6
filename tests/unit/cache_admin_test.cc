// The runtime API's cache operations across real worker threads: a purge reaches every
// worker's share of the cache and answers on the thread of the worker that asked; the totals
// add up every worker's counters.

#include "weir/proxy/cache_admin.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "weir/config/config_loader.h"
#include "weir/event/worker.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {
namespace {

class CacheAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::LoadResult loaded = config::loadConfigText(R"(global: { threads: 2 }
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    cache:
      - use: assets
    default_backend: be
caches:
  assets: { total_max_size: 1m, max_object_size: 16k, max_age: 1h }
backends:
  be: { servers: [{ name: s1, address: "127.0.0.1:1" }] }
)",
                                                       "weir.yaml");
    ASSERT_TRUE(loaded.ok) << (loaded.errors.empty() ? "" : loaded.errors[0]);
    runtime_ = buildRuntime(std::make_shared<config::Config>(std::move(loaded.config)));
    ASSERT_NE(runtime_, nullptr);
    runtime_->threads = 2;
    for (int i = 0; i < 2; ++i) {
      workers_.push_back(std::make_unique<event::Worker>(i));
      contexts_.push_back(std::make_unique<WorkerContext>(*workers_.back(), *runtime_));
      runtime_->workers.push_back(contexts_.back().get());
    }
    for (auto& w : workers_) w->start(nullptr);
  }

  void TearDown() override {
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->join();
    contexts_.clear();
    workers_.clear();
  }

  /// Runs `fn` on worker `i`'s thread and waits for it.
  void onWorker(size_t i, std::function<void(WorkerContext&)> fn) {
    std::promise<void> ran;
    WorkerContext* ctx = contexts_[i].get();
    ctx->post([&] {
      fn(*ctx);
      ran.set_value();
    });
    ran.get_future().wait();
  }

  void storeOn(size_t worker, const std::string& key) {
    onWorker(worker, [key](WorkerContext& w) {
      auto r = std::make_shared<cache::CachedResponse>();
      r->body = "body of " + key;
      r->expiresAtMs = INT64_MAX;
      w.responseCache(0).store(key, r);
    });
  }

  std::unique_ptr<Runtime> runtime_;
  std::vector<std::unique_ptr<event::Worker>> workers_;
  std::vector<std::unique_ptr<WorkerContext>> contexts_;
};

TEST_F(CacheAdminTest, APurgeReachesEveryWorkersShare) {
  storeOn(0, "a.test\n/img/a.png");
  storeOn(0, "a.test\n/index.html");
  storeOn(1, "a.test\n/img/a.png");
  storeOn(1, "b.test\n/img/b.png");

  std::promise<std::pair<size_t, std::thread::id>> purged;
  contexts_[1]->post([&] {
    purgeCache(*runtime_, *contexts_[1], {0, "", "/img/", true},
               [&](size_t n) { purged.set_value({n, std::this_thread::get_id()}); });
  });
  const auto [removed, answeredOn] = purged.get_future().get();
  EXPECT_EQ(removed, 3u);
  std::thread::id worker1;
  onWorker(1, [&](WorkerContext&) { worker1 = std::this_thread::get_id(); });
  EXPECT_EQ(answeredOn, worker1) << "the answer comes back on the asking worker's thread";

  const cache::CacheCounters total = cacheTotals(*runtime_, 0);
  EXPECT_EQ(total.entries, 1u) << "only a.test/index.html is left";
  EXPECT_EQ(total.stores, 4u);
  EXPECT_EQ(total.purged, 3u);
  EXPECT_GT(total.bytes, 0u);
}

TEST_F(CacheAdminTest, TotalsAddUpEveryWorkersCounters) {
  storeOn(0, "a.test\n/x");
  storeOn(1, "a.test\n/x");
  storeOn(1, "a.test\n/y");
  onWorker(0, [](WorkerContext& w) { w.responseCache(0).lookup("a.test\n/x", {}, 1); });
  onWorker(1, [](WorkerContext& w) { w.responseCache(0).lookup("a.test\n/z", {}, 1); });
  const cache::CacheCounters total = cacheTotals(*runtime_, 0);
  EXPECT_EQ(total.stores, 3u);
  EXPECT_EQ(total.entries, 3u);
  EXPECT_EQ(total.lookups, 2u);
  EXPECT_EQ(total.hits, 1u);
  EXPECT_EQ(total.misses, 1u);
}

}  // namespace
}  // namespace weir::proxy
