// ClientSession, waiting for a server slot: the backend queue (every usable server at maxconn).
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

void ClientSession::enqueue(int server) {
  upstream::BackendQueue& queue = backend_->queue();
  if (waiter_.ticket != 0) {
    queue.requeue(waiter_);  // woken, but the slot was taken meanwhile: back to its place
  } else {
    waiter_ = {0, ctx_.index(), id_, server};
    if (!queue.push(waiter_)) {
      waiter_ = {};
      failExchange(Failure::kQueueFull);
      return;
    }
  }
  // The wait is timed from the first time in the queue for this attempt: a requeue after a
  // lost slot keeps the clock running, a retry that queues again starts it anew.
  if (queuedAt_ == Clock::time_point{}) {
    queuedAt_ = Clock::now();
    armTimer(TimerRole::kQueue, backend_->options().timeout.queue);
  }
  inQueue_ = true;
  ctx_.addQueued(id_, this);
  transitionTo(State::kQueued);
  // A slot freed between our pick and the push found the queue empty and woke nobody: look
  // once more now that we are visible to releasers.
  upstream::Pick pick = ctx_.picker(*backend_).pick(*backend_, clientHash_, tried_, steadyNowMs());
  if (pick.outcome != upstream::Pick::Outcome::kAcquired) return;
  leaveQueue();
  connectTo(*pick.server, pick.probe);
}

void ClientSession::onQueueWake(const upstream::QueueWaiter& waiter) {
  if (!inQueue_ || waiter.ticket != waiter_.ticket) return;
  // Popped by the releaser: no longer in the queue, but keeps its ticket for a requeue.
  inQueue_ = false;
  ctx_.removeQueued(id_);
  connectUpstream();
}

void ClientSession::leaveQueue() {
  if (inQueue_) {
    inQueue_ = false;
    ctx_.removeQueued(id_);
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
