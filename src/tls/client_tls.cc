#include "weir/tls/client_tls.h"

#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "weir/tls/server_certificate.h"

namespace weir::tls {

namespace {

bool isIpAddress(const std::string& host) {
  in6_addr any{};
  return inet_pton(AF_INET, host.c_str(), &any) == 1 || inet_pton(AF_INET6, host.c_str(), &any) == 1;
}

}  // namespace

unsigned long takeTlsError(bufferevent* bev) {
  if (bufferevent_openssl_get_ssl(bev) == nullptr) return 0;
  unsigned long first = 0;
  // libevent records SSL_get_error()'s codes too: those have no library and say nothing of TLS.
  while (const unsigned long e = bufferevent_get_openssl_error(bev))
    if (first == 0 && ERR_GET_LIB(e) != 0) first = e;
  return first;
}

std::shared_ptr<const ClientTls> ClientTls::forServer(const config::ServerConfig& server, std::string* error) {
  const std::optional<net::HostPort> hp = net::splitHostPort(server.address_text, error);
  if (!hp) return nullptr;
  const config::ServerTlsConfig& cfg = server.tls;
  const std::string& host = hp->host;
  std::shared_ptr<ClientTls> tls(new ClientTls());
  tls->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = tls->ctx_.get();
  if (ctx == nullptr) {
    *error = "cannot create a TLS context: " + opensslErrors();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A server that closes without close_notify ends its stream (HTTP framing says where the
  // message ends); OpenSSL 3 would otherwise make it an error, not an end of file.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  tls->verify_ = cfg.verify;
  if (cfg.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const bool loaded = cfg.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                                            : SSL_CTX_load_verify_locations(ctx, cfg.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      *error = (cfg.ca_file.empty() ? std::string("the system's CA store") : cfg.ca_file) +
               ": no CA certificate could be read: " + opensslErrors();
      return nullptr;
    }
  }
  if (!cfg.alpn.empty()) {
    std::string wire;  // each name prefixed by its length (RFC 7301)
    for (const std::string& name : cfg.alpn) {
      if (name.empty() || name.size() > 255) {
        *error = "alpn: a protocol name is 1 to 255 bytes";
        return nullptr;
      }
      wire.push_back(static_cast<char>(name.size()));
      wire += name;
    }
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
  }
  tls->name_ = cfg.sni.empty() ? host : cfg.sni;
  if (cfg.verify && tls->name_.empty()) {
    *error = "the certificate's name cannot be checked without a host: set sni";
    return nullptr;
  }
  tls->nameIsIp_ = isIpAddress(tls->name_);
  if (!tls->nameIsIp_) tls->sni_ = tls->name_;  // RFC 6066: SNI carries names, never addresses
  return tls;
}

SSL* ClientTls::newSsl() const {
  SSL* ssl = SSL_new(ctx_.get());
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  // SSL_set_tlsext_host_name() is a macro with a C cast.
  if (!sni_.empty()) SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(sni_.c_str()));
  if (verify_) {
    bool named = false;
    if (nameIsIp_) {
      named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name_.c_str()) == 1;
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      named = SSL_set1_host(ssl, name_.c_str()) == 1;
    }
    if (!named) {  // never connect without the name check
      SSL_free(ssl);
      ERR_clear_error();
      return nullptr;
    }
  }
  return ssl;
}

}  // namespace weir::tls
