#pragma once
// Buffer limits shared by both sides of a session, and the socket reads and writes weir does itself.

#include <chrono>
#include <cstddef>

#include "weir/base/c_handle.h"

namespace weir::proxy {

inline constexpr size_t kReadHighWater = 256 * 1024;    // bytes read ahead from one socket
inline constexpr size_t kOutputHighWater = 128 * 1024;  // stop reading the other side above this
inline constexpr size_t kOutputLowWater = 32 * 1024;    // ...and resume below this
inline constexpr size_t kReplayLimit = 64 * 1024;       // request body kept for a retry
// Closing with request bytes unread: how long and how much we read and drop after the reply
// (nginx's lingering_time / lingering_timeout are 30 s / 5 s; a reply is small, so less).
inline constexpr std::chrono::milliseconds kLingerTime{2000};
inline constexpr size_t kLingerMaxBytes = 1024 * 1024;
// A cache miss waiting for another request's response to the same URL gives up after this and
// asks the server itself (nginx: proxy_cache_lock_timeout).
inline constexpr std::chrono::milliseconds kCollapseWait{5000};

/// Reads a plaintext socket bufferevent's input without libevent 2.1's evbuffer_read, which asks
/// the kernel for the readable byte count (ioctl FIONREAD) before every read and reads at most
/// 4 KiB: one readv of up to 4 KiB per readable event, and when that filled, one more of up to
/// 64 KiB (a body or a large response is likely waiting). The bufferevent's read event keeps its
/// role (enable/disable, read timeout, watermark suspension): only its callback is ours. Call
/// before the first bufferevent_enable(EV_READ), on a bufferevent with its socket; TLS ones are
/// left to libevent.
void takeOverReads(bufferevent* bev);

/// Writes what `bev`'s output holds straight to the socket. Only what the kernel does not take
/// waits for a write event: EV_WRITE stays disabled while nothing is pending, so a response that
/// fits the socket buffer costs one writev and no epoll_ctl (with the epoll changelist, the add
/// libevent queued when the data arrived and the delete here cancel out).
void sendNow(bufferevent* bev);

}  // namespace weir::proxy
