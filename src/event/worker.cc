#include "weir/event/worker.h"

#include <event2/event.h>
#include <event2/thread.h>

#include <cstdlib>

#include "weir/base/log.h"

namespace weir::event {

void initLibevent() {
  static const bool done = [] {
    if (evthread_use_pthreads() != 0) {
      log::error("libevent: evthread_use_pthreads failed");
      std::abort();
    }
    return true;
  }();
  (void)done;
}

Worker::Worker(int index) : index_(index) {
  initLibevent();
  base_.reset(event_base_new());
  if (!base_) {
    log::error("libevent: event_base_new failed");
    std::abort();
  }
  postEvent_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::onPosted, this));
  event_add(postEvent_.get(), nullptr);
}

Worker::~Worker() {
  stop();
  join();
}

const char* Worker::method() const { return event_base_get_method(base_.get()); }

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard lock(postMutex_);
    posted_.push_back(std::move(fn));
  }
  event_active(postEvent_.get(), EV_READ, 0);
}

void Worker::onPosted(evutil_socket_t, short, void* self) { static_cast<Worker*>(self)->runPosted(); }

void Worker::runPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(postMutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void Worker::start(std::function<void()> init) {
  thread_ = std::thread([this, init = std::move(init)] {
    if (init) init();
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
  });
}

void Worker::runHere() { event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY); }

void Worker::stop() {
  if (base_) event_base_loopbreak(base_.get());
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace weir::event
