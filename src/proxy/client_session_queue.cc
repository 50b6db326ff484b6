// ClientSession, waiting for a server slot: the backend queue (every usable server at maxconn).
#include <algorithm>

#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

namespace {
// How soon a waiter finds a slot no release handed over (see recheckQueue).
constexpr auto kQueueRecheck = std::chrono::milliseconds(100);
}  // namespace

void ClientSession::enqueue(int server) {
  upstream::BackendQueue& queue = backend_->queue();
  waiter_ = {};
  waiter_.worker = ctx_->index();
  waiter_.session = id_;
  waiter_.server = server;
  for (int tried : tried_)
    if (tried < 64) waiter_.avoid |= uint64_t{1} << tried;
  if (!queue.push(waiter_)) {
    failExchange(Failure::kQueueFull);
    return;
  }
  // Timed from the first time in the queue for this request: a retry that queues again keeps
  // the clock running.
  if (queuedAt_ == Clock::time_point{}) {
    queuedAt_ = Clock::now();
    armQueueTimer();
  }
  inQueue_ = true;
  ctx_->addWaiting(id_, this);
  transitionTo(State::kQueued);
  // A slot freed between our pick and the push went back to the server, as nobody was waiting
  // for it then: look once more now that releasers can see us.
  const upstream::Pick pick = pickForWaiter(steadyNowMs());
  if (pick.outcome != upstream::Pick::Outcome::kAcquired) return;
  leaveQueue();  // when a slot was handed to us meanwhile, its grant finds us gone and passes it on
  connectTo(*pick.server, pick.probe);
}

void ClientSession::armQueueTimer() {
  armTimerUntil(TimerRole::kQueue, std::min(queuedAt_ + backend_->options().timeout.queue, Clock::now() + kQueueRecheck));
}

// A slot can be free while requests wait: released while its server was out (nobody may be
// sent there then) or by a request of the previous config (whose queue is another one). No
// release is left to hand such a slot over, so the waiters look for it now and then. What
// they find goes to the oldest waiter it suits, as a release would give it: the order holds.
void ClientSession::recheckQueue() {
  const int64_t now = steadyNowMs();
  // A release gives nobody a slot of a server that is out; neither does this.
  const bool wantedIsOut =
      waiter_.server >= 0 && backend_->server(waiter_.server).state(now) != upstream::Server::State::kUp;
  const upstream::Pick pick = wantedIsOut ? upstream::Pick{} : pickForWaiter(now);
  if (pick.outcome == upstream::Pick::Outcome::kAcquired && pick.probe) {  // the one request that tests a returning server
    leaveQueue();
    connectTo(*pick.server, true);
    return;
  }
  if (pick.outcome == upstream::Pick::Outcome::kAcquired) ctx_->handOff(*backend_, *pick.server);  // posted: still queued
  armQueueTimer();
}

upstream::Pick ClientSession::pickForWaiter(int64_t nowMs) {
  if (waiter_.server < 0) return ctx_->picker(*backend_).pick(*backend_, clientHash_, tried_, nowMs);
  upstream::Server& wanted = backend_->server(waiter_.server);
  if (!wanted.tryAcquire(false)) return {};
  return {upstream::Pick::Outcome::kAcquired, &wanted, false};
}

bool ClientSession::takeGrantedSlot(const upstream::QueueWaiter& waiter, upstream::Server& server) {
  if (!inQueue_ || waiter.ticket != waiter_.ticket) return false;
  inQueue_ = false;  // the releaser took us out of the queue
  ctx_->removeWaiting(id_);
  connectTo(server, false);
  return true;
}

void ClientSession::leaveQueue() {
  if (inQueue_) {
    inQueue_ = false;
    ctx_->removeWaiting(id_);
    // When the releaser popped us already, its wake-up finds no one here and passes it on.
    backend_->queue().remove(waiter_.ticket);
  }
  finishQueueWait();
}

void ClientSession::finishQueueWait() {
  if (queuedAt_ == Clock::time_point{}) return;
  queueWaitMs_ = millisBetween(queuedAt_, Clock::now());
  queuedAt_ = {};
  backend_->queue().stats().waitMsTotal.fetch_add(static_cast<uint64_t>(queueWaitMs_), std::memory_order_relaxed);
  if (timerRole_ == TimerRole::kQueue) armTimer(TimerRole::kNone, {});
}

}  // namespace weir::proxy
