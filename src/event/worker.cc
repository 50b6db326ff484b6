#include "weir/event/worker.h"

#include <event2/event.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "weir/base/log.h"

namespace weir::event {

Worker::Worker(int index) : index_(index) {
  // The changelist folds an add and a delete of the same fd's interest within one loop
  // iteration into nothing, saving epoll_ctl calls. It is unsafe only with dup()ed fds in one
  // base, which weir never creates.
  std::unique_ptr<event_config, CDeleter<event_config_free>> cfg(event_config_new());
  event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  base_.reset(event_base_new_with_config(cfg.get()));
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!base_ || wakeFd_ < 0) {
    log::error("worker {}: cannot create its event loop", index);
    std::abort();
  }
  postEvent_.reset(event_new(base_.get(), wakeFd_, EV_READ | EV_PERSIST, &Worker::onPosted, this));
  event_add(postEvent_.get(), nullptr);
}

Worker::~Worker() {
  stop();
  join();
  postEvent_.reset();
  ::close(wakeFd_);
}

const char* Worker::method() const { return event_base_get_method(base_.get()); }

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard lock(postMutex_);
    posted_.push_back(std::move(fn));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof(one));  // only fails when already signalled
}

void Worker::onPosted(evutil_socket_t, short, void* self) { static_cast<Worker*>(self)->runPosted(); }

void Worker::runPosted() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(wakeFd_, &count, sizeof(count));
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

void Worker::stop() {
  post([this] { event_base_loopbreak(base_.get()); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace weir::event
