#pragma once
// RAII owners for the C handles of libevent and OpenSSL: each is a unique_ptr whose deleter is
// the library's own free function, so no handle is ever released by hand.

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <memory>

namespace weir {

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
using EvBufferPtr = std::unique_ptr<evbuffer, CDeleter<evbuffer_free>>;

}  // namespace weir
