#include "worker.h"

#include <fmt/format.h>

#include "connection.h"

namespace weir::fake {
namespace {

constexpr int kListenBacklog = 1024;

std::string socketError() { return evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()); }

}  // namespace

std::unique_ptr<Worker> Worker::create(BackendShared& shared, const sockaddr* address, int length, bool reusePort,
                                       std::string& error) {
  auto worker = std::make_unique<Worker>(shared);
  error = worker->init(address, length, reusePort);
  if (!error.empty()) return nullptr;
  return worker;
}

std::string Worker::init(const sockaddr* address, int length, bool reusePort) {
  base_.reset(event_base_new());
  if (!base_) return "event_base_new failed";
  reapEvent_.reset(event_new(base_.get(), -1, 0, onReap, this));
  if (!reapEvent_) return "event_new failed";
  unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
  if (reusePort) flags |= LEV_OPT_REUSEABLE_PORT;
  listener_.reset(evconnlistener_new_bind(base_.get(), onAccept, this, flags, kListenBacklog, address, length));
  if (!listener_) return fmt::format("cannot listen: {}", socketError());
  evconnlistener_set_error_cb(listener_.get(), onAcceptError);
  return {};
}

Worker::Worker(BackendShared& shared) : shared_(shared) {}

Worker::~Worker() { join(); }

bool Worker::boundAddress(sockaddr_storage& address, socklen_t& length) const {
  length = sizeof address;
  return getsockname(evconnlistener_get_fd(listener_.get()), reinterpret_cast<sockaddr*>(&address), &length) == 0;
}

bool Worker::start(int stopFd) {
  stopEvent_.reset(event_new(base_.get(), stopFd, EV_READ, onStop, this));
  if (!stopEvent_ || event_add(stopEvent_.get(), nullptr) != 0) return false;
  thread_ = std::thread([this] { event_base_dispatch(base_.get()); });
  return true;
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::breakLoop() { event_base_loopbreak(base_.get()); }

void Worker::handleAccept(evutil_socket_t fd) {
  auto connection = std::make_unique<Connection>(*this, shared_);
  if (!connection->start(base_.get(), fd)) return;  // start() closed the socket
  Connection* key = connection.get();
  connections_.emplace(key, std::move(connection));
}

void Worker::handleAcceptError() {
  auto now = std::chrono::steady_clock::now();  // EMFILE repeats on every loop turn
  if (now - lastAcceptErrorLog_ < std::chrono::seconds(1)) return;
  lastAcceptErrorLog_ = now;
  fmt::print(stderr, "weir-fake-backend: name={} event=accept_failed error=\"{}\"\n", shared_.name, socketError());
}

void Worker::retire(Connection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  retired_.push_back(std::move(it->second));
  connections_.erase(it);
  event_active(reapEvent_.get(), 0, 0);
}

void Worker::reap() { retired_.clear(); }

}  // namespace weir::fake
