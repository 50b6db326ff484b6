#pragma once
// TLS from weir to one server (`servers[].ssl`): the context every connection to it starts
// from, with the server's certificate verified against the system's CA store or `ca_file` and
// its name checked (the `sni` name, else the host of the server's address: a DNS name, or an
// IP address against the certificate's IP entries), unless `verify: none`. Built once; shared
// by every worker and the checks' thread (an SSL_CTX is safe to share).

#include <memory>
#include <string>

#include "weir/config/config.h"
#include "weir/tls/tls_handles.h"

struct bufferevent;

namespace weir::tls {

/// The first OpenSSL error a TLS bufferevent recorded, its list emptied; 0 when the failure was
/// not TLS's (a refused or reset connection leaves only a raw SSL_ERROR_SYSCALL there) or
/// `bev` is not a TLS bufferevent.
unsigned long takeTlsError(bufferevent* bev);

class ClientTls {
 public:
  /// For `server` (its `tls` keys; the host of its address as written names it). nullptr with
  /// *error when the CA file cannot be used, an ALPN name is invalid or no name can be checked.
  static std::shared_ptr<const ClientTls> forServer(const config::ServerConfig& server, std::string* error);

  /// A client SSL for one new connection, with SNI and the name to verify (nullptr when
  /// OpenSSL is out of memory).
  SSL* newSsl() const;

 private:
  ClientTls() = default;

  SslCtxPtr ctx_;
  std::string sni_;   // sent in the ClientHello; "" when the server is known by an IP address
  std::string name_;  // what the certificate must name
  bool nameIsIp_ = false;
  bool verify_ = true;
};

}  // namespace weir::tls
