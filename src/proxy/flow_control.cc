#include "weir/proxy/flow_control.h"

#include <event2/bufferevent_ssl.h>
#include <sys/uio.h>

#include <algorithm>

namespace weir::proxy {

namespace {

constexpr size_t kLibeventReadSize = 4096;
constexpr size_t kTlsRecordSize = 16 * 1024;  // the most plaintext one TLS record carries
// One read-ahead fills at most one 64 KiB block of the block cache (an evbuffer chain's header
// included), so bulk reads reuse cached blocks instead of mallocing a fresh 256 KiB chain each.
constexpr size_t kReadAheadMax = 64 * 1024 - 256;

/// One readv of up to `want` bytes into `in`'s free space.
void readInto(evbuffer* in, evutil_socket_t fd, size_t want) {
  evbuffer_iovec vec[2];
  const int n = evbuffer_reserve_space(in, static_cast<ev_ssize_t>(want), vec, 2);
  if (n <= 0) return;
  iovec iov[2];
  for (int i = 0; i < n; ++i) iov[i] = {vec[i].iov_base, vec[i].iov_len};
  const ssize_t got = readv(fd, iov, n);
  if (got <= 0) {  // EAGAIN, EOF or an error: libevent's own next read reports it
    evbuffer_commit_space(in, vec, 0);
    return;
  }
  size_t left = static_cast<size_t>(got);
  for (int i = 0; i < n; ++i) {
    if (vec[i].iov_len > left) vec[i].iov_len = left;
    left -= vec[i].iov_len;
  }
  evbuffer_commit_space(in, vec, n);
}

}  // namespace

void readAhead(bufferevent* bev) {
  if (bufferevent_openssl_get_ssl(bev) != nullptr) return;  // its input holds decrypted bytes only
  evbuffer* in = bufferevent_get_input(bev);
  const size_t have = evbuffer_get_length(in);
  if (have < kLibeventReadSize || have + 1 >= kReadHighWater) return;
  // A socket bufferevent freezes the end of its input so only it fills it; we fill it as it does.
  evbuffer_unfreeze(in, 0);
  readInto(in, bufferevent_getfd(bev), std::min(kReadAheadMax, kReadHighWater - 1 - have));
  evbuffer_freeze(in, 0);
}

void sendNow(bufferevent* bev) {
  evbuffer* out = bufferevent_get_output(bev);
  if (bufferevent_openssl_get_ssl(bev) != nullptr) {
    // libevent's TLS bufferevent hands each chain of its output to SSL_write: a reply's head
    // and small body made into one chain go out as one record and one write(2). It arms and
    // drops its write event itself as the output fills and empties, so EV_WRITE stays on.
    const size_t length = evbuffer_get_length(out);
    if (length == 0) return;
    if (length <= kTlsRecordSize) evbuffer_pullup(out, -1);
    if ((bufferevent_get_enabled(bev) & EV_WRITE) == 0) bufferevent_enable(bev, EV_WRITE);
    return;
  }
  if (evbuffer_get_length(out) > 0) {
    // A socket bufferevent freezes the start of its output so only it drains it; we drain it
    // the way it does. An error leaves the bytes in place for libevent's own write to report.
    evbuffer_unfreeze(out, 1);
    evbuffer_write(out, bufferevent_getfd(bev));
    evbuffer_freeze(out, 1);
  }
  if (evbuffer_get_length(out) == 0) {
    bufferevent_disable(bev, EV_WRITE);
  } else {
    bufferevent_enable(bev, EV_WRITE);
  }
}

}  // namespace weir::proxy
