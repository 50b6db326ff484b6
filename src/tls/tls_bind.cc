#include "weir/tls/tls_bind.h"

#include <filesystem>

namespace weir::tls {
namespace {

constexpr unsigned char kSessionIdContext[] = "weir";

std::string resolvePath(const std::string& path, const std::string& baseDir) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(baseDir) / path).string();
}

}  // namespace

TlsSettings settingsOf(const config::BindConfig& bind) {
  TlsSettings s;
  if (bind.min_version == "TLSv1.3") s.minVersion = TLS1_3_VERSION;
  if (!bind.ciphers.empty()) s.ciphers = bind.ciphers;
  if (!bind.ciphersuites.empty()) s.ciphersuites = bind.ciphersuites;
  return s;
}

std::unique_ptr<TlsBind> TlsBind::build(const config::BindConfig& bind, const std::string& baseDir,
                                        std::shared_ptr<TicketKeyRing> tickets, std::string* error) {
  auto tls = std::unique_ptr<TlsBind>(new TlsBind());
  const TlsSettings settings = settingsOf(bind);
  for (const config::CertConfig& c : bind.certs) {
    std::optional<ServerCertificate> cert =
        loadServerCertificate(resolvePath(c.cert, baseDir), resolvePath(c.key, baseDir), settings, error);
    if (!cert) return nullptr;
    tls->sni_.add(cert->names, tls->certs_.size());
    tls->certs_.push_back(std::move(*cert));
  }
  if (tls->certs_.empty()) {
    *error = "a TLS bind needs at least one certificate";
    return nullptr;
  }
  if (!tickets) tickets = TicketKeyRing::create(error);
  if (!tickets) return nullptr;
  tls->tickets_ = std::move(tickets);
  for (ServerCertificate& cert : tls->certs_) {
    SSL_CTX* ctx = cert.ctx.get();
    SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    tls->tickets_->install(ctx);
  }
  // Every connection starts on the default certificate's context; SNI may move it.
  SSL_CTX* first = tls->certs_.front().ctx.get();
  SSL_CTX_callback_ctrl(first, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, reinterpret_cast<void (*)()>(&TlsBind::onServerName));
  SSL_CTX_ctrl(first, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, tls.get());
  return tls;
}

SSL* TlsBind::newSsl() const { return SSL_new(certs_.front().ctx.get()); }

int TlsBind::onServerName(SSL* ssl, int*, void* self) {
  const auto* tls = static_cast<const TlsBind*>(self);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const size_t index = tls->sni_.select(name != nullptr ? name : "");
  if (index != 0) SSL_set_SSL_CTX(ssl, tls->certs_[index].ctx.get());
  return SSL_TLSEXT_ERR_OK;  // an unknown name gets the default certificate
}

}  // namespace weir::tls
