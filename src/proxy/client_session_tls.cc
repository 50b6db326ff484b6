// ClientSession, TLS binds: the connection's bufferevent encrypts and decrypts (libevent's
// OpenSSL filter on the socket); the handshake runs on this worker before any request is read,
// bounded by timeout.client_handshake. Everything after it is the same as on a plain bind.
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <unistd.h>

#include <cctype>

#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

void ClientSession::openTlsClient(evutil_socket_t fd) {
  SSL* ssl = tls_->newSsl();
  if (ssl == nullptr) {
    ERR_clear_error();
    ::close(fd);  // start() sees no bufferevent and ends the session
    return;
  }
  // With BEV_OPT_CLOSE_ON_FREE the bufferevent frees the SSL, and the socket, when it goes.
  client_.reset(bufferevent_openssl_socket_new(ctx_->base(), fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                               BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS));
  if (!client_) return;
  ssl_ = ssl;
  // Many clients close without close_notify once they have their response: that is an end
  // of stream, not an attack on it (HTTP/1.1 framing says where messages end).
  bufferevent_openssl_set_allow_dirty_shutdown(client_.get(), 1);
}

void ClientSession::onHandshakeDone() {
  if (handshakeDone_) return;  // a renegotiation: TLS 1.2 clients may ask, nothing changes
  handshakeDone_ = true;
  tlsVersion_ = SSL_get_version(ssl_);
  tlsCipher_ = SSL_get_cipher_name(ssl_);
  // OpenSSL passes any bytes a client puts in its SNI: only a hostname's characters reach the
  // access log, so no client can write a line of its own there.
  if (const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name)) {
    for (const char* c = name; *c != '\0' && sni_.size() < 255; ++c)
      sni_.push_back(std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '-' || *c == '_' ? *c : '?');
  }
  armTimer(TimerRole::kHttpRequest, fe_->options.timeout.http_request);
}

void ClientSession::sendCloseNotify() {
  if (ssl_ == nullptr || !handshakeDone_) return;
  // One try, without waiting for the client's: the socket takes it or the connection goes
  // without (a full socket buffer means the client stopped reading anyway).
  SSL_shutdown(ssl_);
  ERR_clear_error();  // the queue is per thread: leave nothing for the next connection's calls
  ssl_ = nullptr;
}

}  // namespace weir::proxy
