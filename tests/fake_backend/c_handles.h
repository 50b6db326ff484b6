#pragma once
// RAII owners for the libevent handles of the fake backend (the same pattern as
// weir/base/c_handle.h, repeated here because the fixture does not link weir_core).

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <memory>

namespace weir::fake {

template <auto F>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) F(p);
  }
};

using EventBasePtr = std::unique_ptr<event_base, CDeleter<event_base_free>>;
using EventPtr = std::unique_ptr<event, CDeleter<event_free>>;
using BufferEventPtr = std::unique_ptr<bufferevent, CDeleter<bufferevent_free>>;
using ListenerPtr = std::unique_ptr<evconnlistener, CDeleter<evconnlistener_free>>;

}  // namespace weir::fake
