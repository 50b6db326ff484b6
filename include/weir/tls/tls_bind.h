#pragma once
// What a TLS bind serves: its certificates (the first is the default), the SNI choice among
// them, and the settings every handshake gets. Built once from the config and shared by all
// workers: an SSL_CTX is safe to use from several threads, and a handshake touches only its
// own SSL. All the bind's contexts share the process's session-ticket keys (ticket_key_ring.h) and
// one session-id context, so a session resumes whichever certificate (and worker) served it first.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weir/config/config.h"
#include "weir/tls/server_certificate.h"
#include "weir/tls/sni_selector.h"
#include "weir/tls/ticket_key_ring.h"

namespace weir::tls {

class TlsBind {
 public:
  /// Loads `bind`'s certificates (relative paths from `baseDir`); nullptr with *error (naming
  /// the file) when one cannot be used. Tickets are sealed with `tickets` (shared by every
  /// bind of the process; a ring of its own when null).
  static std::unique_ptr<TlsBind> build(const config::BindConfig& bind, const std::string& baseDir,
                                        std::shared_ptr<TicketKeyRing> tickets, std::string* error);

  /// A new server-side SSL for one accepted connection (nullptr when OpenSSL is out of memory).
  SSL* newSsl() const;

  const std::vector<ServerCertificate>& certificates() const { return certs_; }

 private:
  static int onServerName(SSL* ssl, int* alert, void* self);

  std::vector<ServerCertificate> certs_;
  SniSelector sni_;
  std::shared_ptr<TicketKeyRing> tickets_;
};

/// TLS settings from a bind's config.
TlsSettings settingsOf(const config::BindConfig& bind);

}  // namespace weir::tls
