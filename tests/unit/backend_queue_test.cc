#include "weir/upstream/backend_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace weir::upstream {
namespace {

QueueWaiter waiter(uint64_t session, int server = -1, int worker = 0) {
  QueueWaiter w;
  w.worker = worker;
  w.session = session;
  w.server = server;
  return w;
}

/// Pushes a waiter and returns its ticket.
uint64_t push(BackendQueue& q, QueueWaiter w) {
  EXPECT_TRUE(q.push(w));
  return w.ticket;
}

TEST(BackendQueue, PushAssignsIncreasingTicketsAndPopsFifo) {
  BackendQueue q(0);
  EXPECT_EQ(q.length(), 0);
  std::vector<uint64_t> tickets;
  for (uint64_t s = 1; s <= 4; ++s) tickets.push_back(push(q, waiter(s, -1, static_cast<int>(s % 2))));
  for (size_t i = 1; i < tickets.size(); ++i) EXPECT_GT(tickets[i], tickets[i - 1]);
  EXPECT_EQ(q.length(), 4);
  for (uint64_t s = 1; s <= 4; ++s) {
    const std::optional<QueueWaiter> w = q.popFor(0);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->session, s);
    EXPECT_EQ(w->ticket, tickets[s - 1]);
    EXPECT_EQ(w->worker, static_cast<int>(s % 2));
    EXPECT_EQ(q.length(), static_cast<int>(4 - s));
  }
  EXPECT_FALSE(q.popFor(0).has_value());
}

TEST(BackendQueue, PopForSkipsWaitersBoundToAnotherServer) {
  BackendQueue q(0);
  push(q, waiter(1, 2));   // only server 2
  push(q, waiter(2, 1));   // only server 1
  push(q, waiter(3, -1));  // any
  push(q, waiter(4, 1));
  std::optional<QueueWaiter> w = q.popFor(1);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->session, 2u);
  w = q.popFor(0);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->session, 3u);  // unbound: any server
  EXPECT_FALSE(q.popFor(0).has_value());  // the rest are bound to 1 and 2
  EXPECT_EQ(q.length(), 2);
  w = q.popFor(2);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->session, 1u);
  w = q.popFor(1);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->session, 4u);
  EXPECT_EQ(q.length(), 0);
}

TEST(BackendQueue, MaxqueueRejectsAndCounts) {
  BackendQueue q(2);
  push(q, waiter(1));
  push(q, waiter(2));
  QueueWaiter third = waiter(3);
  EXPECT_FALSE(q.push(third));
  EXPECT_FALSE(q.push(third));
  EXPECT_EQ(q.stats().rejected.load(), 2u);
  EXPECT_EQ(q.stats().queued.load(), 2u);
  EXPECT_EQ(q.length(), 2);
  // Room again once one leaves.
  ASSERT_TRUE(q.popFor(0));
  EXPECT_TRUE(q.push(third));
  EXPECT_EQ(q.length(), 2);
  EXPECT_EQ(q.stats().rejected.load(), 2u);
}

TEST(BackendQueue, RemoveByTicketOnce) {
  BackendQueue q(0);
  const uint64_t t1 = push(q, waiter(1));
  const uint64_t t2 = push(q, waiter(2));
  const uint64_t t3 = push(q, waiter(3));
  EXPECT_TRUE(q.remove(t2));
  EXPECT_FALSE(q.remove(t2));
  EXPECT_EQ(q.length(), 2);
  EXPECT_FALSE(q.remove(t3 + 100));  // never issued
  std::optional<QueueWaiter> w = q.popFor(0);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->ticket, t1);
  EXPECT_FALSE(q.remove(t1));  // already woken
  w = q.popFor(0);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->ticket, t3);
  EXPECT_EQ(q.length(), 0);
}

TEST(BackendQueue, PopForSkipsWaitersThatAlreadyTriedTheServer) {
  BackendQueue q(0);
  QueueWaiter tried = waiter(1);
  tried.avoid = uint64_t{1} << 3;  // it failed on server 3 already
  push(q, tried);
  push(q, waiter(2));
  const std::optional<QueueWaiter> w = q.popFor(3);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->session, 2u);
  const std::optional<QueueWaiter> other = q.popFor(4);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->session, 1u);
}

TEST(BackendQueue, PopForOrRunsTheFallbackOnlyWhenNobodyCanTakeTheSlot) {
  BackendQueue q(0);
  int released = 0;
  EXPECT_FALSE(q.popForOr(0, [&] { ++released; }));
  EXPECT_EQ(released, 1);
  push(q, waiter(1));
  EXPECT_TRUE(q.popForOr(0, [&] { ++released; }));
  EXPECT_EQ(released, 1);
}

TEST(BackendQueue, AheadCountsTheRequestsAlreadyWaiting) {
  BackendQueue q(0);
  QueueWaiter a = waiter(1), b = waiter(2), c = waiter(3);
  ASSERT_TRUE(q.push(a));
  ASSERT_TRUE(q.push(b));
  ASSERT_TRUE(q.push(c));
  EXPECT_EQ(a.ahead, 0);
  EXPECT_EQ(b.ahead, 1);
  EXPECT_EQ(c.ahead, 2);
}

TEST(BackendQueue, StatsCountQueuedAndMaxLength) {
  BackendQueue q(0);
  EXPECT_EQ(q.stats().queued.load(), 0u);
  EXPECT_EQ(q.stats().maxLength.load(), 0);
  push(q, waiter(1));
  push(q, waiter(2));
  push(q, waiter(3));
  EXPECT_EQ(q.stats().maxLength.load(), 3);
  ASSERT_TRUE(q.popFor(0));
  ASSERT_TRUE(q.popFor(0));
  push(q, waiter(4));
  EXPECT_EQ(q.length(), 2);
  EXPECT_EQ(q.stats().queued.load(), 4u);
  EXPECT_EQ(q.stats().maxLength.load(), 3);  // the high-water mark stays
  EXPECT_EQ(q.stats().rejected.load(), 0u);
}

}  // namespace
}  // namespace weir::upstream
