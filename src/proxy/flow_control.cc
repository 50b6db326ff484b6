#include "weir/proxy/flow_control.h"

#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

namespace weir::proxy {

namespace {

constexpr size_t kFirstReadSize = 4096;  // libevent's own read size: what a connection's head needs
constexpr size_t kTlsRecordSize = 16 * 1024;  // the most plaintext one TLS record carries
// A read that filled kFirstReadSize is followed by one of at most one 64 KiB block of the block
// cache (an evbuffer chain's header included).
constexpr size_t kBulkReadSize = 64 * 1024 - 256;

/// One readv of up to `want` bytes into `in`'s free space: what readv returned (0 at EOF, -1 with
/// errno on an error or when nothing is there).
ssize_t readInto(evbuffer* in, evutil_socket_t fd, size_t want) {
  evbuffer_iovec vec[2];
  const int n = evbuffer_reserve_space(in, static_cast<ev_ssize_t>(want), vec, 2);
  if (n <= 0) {
    errno = ENOMEM;
    return -1;
  }
  iovec iov[2];
  size_t room = want;  // the reservation may be larger: read no more than asked
  for (int i = 0; i < n; ++i) {
    iov[i] = {vec[i].iov_base, std::min(vec[i].iov_len, room)};
    room -= iov[i].iov_len;
  }
  const ssize_t got = readv(fd, iov, n);
  if (got <= 0) {
    evbuffer_commit_space(in, vec, 0);
    return got;
  }
  size_t left = static_cast<size_t>(got);
  for (int i = 0; i < n; ++i) {
    if (vec[i].iov_len > left) vec[i].iov_len = left;
    left -= vec[i].iov_len;
  }
  evbuffer_commit_space(in, vec, n);
  return got;
}

/// Takes the place of libevent's bufferevent_readcb on a socket bufferevent's ev_read. The same
/// contract: a timeout or the end of the stream disables reading and reports through the event
/// callback, data goes through the read callback (deferred, as the bufferevent was made), the
/// read watermark caps the read; it differs in asking the kernel nothing before reading.
void onSocketReadable(evutil_socket_t fd, short what, void* arg) {
  auto* bev = static_cast<bufferevent*>(arg);
  if (what == EV_TIMEOUT) {
    bufferevent_disable(bev, EV_READ);
    bufferevent_trigger_event(bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
    return;
  }
  evbuffer* in = bufferevent_get_input(bev);
  size_t low = 0, high = 0;
  bufferevent_getwatermark(bev, EV_READ, &low, &high);
  size_t room = kFirstReadSize + kBulkReadSize;
  if (high != 0) {
    const size_t have = evbuffer_get_length(in);
    if (have >= high) return;  // the watermark's input callback has suspended reading
    // Just short of the watermark when there is room: reaching it suspends reading (two epoll_ctl).
    room = std::min(room, high - have > 1 ? high - have - 1 : 1);
  }
  // A socket bufferevent freezes the end of its input so only it fills it; we fill it as it does.
  evbuffer_unfreeze(in, 0);
  const size_t first = std::min(room, kFirstReadSize);
  ssize_t got = readInto(in, fd, first);
  const int readError = errno;
  // A full first read says more is likely waiting (a body, a large response): one more, bigger.
  if (got == static_cast<ssize_t>(first) && room > first) readInto(in, fd, std::min(room - first, kBulkReadSize));
  evbuffer_freeze(in, 0);
  if (got > 0) {
    bufferevent_trigger(bev, EV_READ, 0);
    return;
  }
  if (got < 0 && (readError == EAGAIN || readError == EWOULDBLOCK || readError == EINTR)) return;
  bufferevent_disable(bev, EV_READ);
  bufferevent_trigger_event(bev, BEV_EVENT_READING | (got == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), 0);
}

}  // namespace

void takeOverReads(bufferevent* bev) {
  if (bufferevent_openssl_get_ssl(bev) != nullptr) return;  // its input holds decrypted bytes only
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd < 0 || (bufferevent_get_enabled(bev) & EV_READ) != 0) return;  // ev_read must not be pending
  event_base* base = bufferevent_get_base(bev);
  // The flags libevent's socket bufferevent gives its read event, so its enable/disable,
  // timeouts, watermark suspension and finalisation keep working on it unchanged.
  event_assign(&bev->ev_read, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE, &onSocketReadable, bev);
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
  int written = 0;
  if (evbuffer_get_length(out) > 0) {
    // A socket bufferevent freezes the start of its output so only it drains it; we drain it
    // the way it does. An error leaves the bytes in place for libevent's own write to report.
    evbuffer_unfreeze(out, 1);
    written = evbuffer_write(out, bufferevent_getfd(bev));
    evbuffer_freeze(out, 1);
  }
  // Only a change reaches libevent: disabling an event that is not armed still costs an
  // event_del (about 130 instructions, several times per request). Progress re-arms an armed
  // event, so that its write timeout counts from the last byte out, as libevent's own write does.
  const bool armed = (bufferevent_get_enabled(bev) & EV_WRITE) != 0;
  const bool wanted = evbuffer_get_length(out) > 0;
  if (armed && !wanted) bufferevent_disable(bev, EV_WRITE);
  if (wanted && (!armed || written > 0)) bufferevent_enable(bev, EV_WRITE);
}

}  // namespace weir::proxy
