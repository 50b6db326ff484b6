#include "weir/tls/server_certificate.h"

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace weir::tls {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// ALPN: weir speaks HTTP/1.1 (and the client must offer it, or no ALPN is agreed).
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int64_t asn1ToUnix(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::string opensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

bool applySettings(SSL_CTX* ctx, const TlsSettings& settings, std::string* error) {
  SSL_CTX_set_min_proto_version(ctx, settings.minVersion);
  // No renegotiation, the server's cipher order, no compression (CRIME).
  // A client that closes without close_notify has ended its stream, not attacked it: OpenSSL 3
  // would report an error instead of the end of file a half-closing client must get.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    *error = "ciphers: no usable cipher in '" + settings.ciphers + "'";
    ERR_clear_error();
    return false;
  }
  if (SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1) {
    *error = "ciphersuites: no usable suite in '" + settings.ciphersuites + "'";
    ERR_clear_error();
    return false;
  }
  SSL_CTX_set_alpn_select_cb(ctx, &selectAlpn, nullptr);
  return true;
}

std::vector<std::string> certificateNames(X509* cert) {
  std::vector<std::string> names;
  GeneralNamesPtr san(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (san) {
    for (int i = 0; i < sk_GENERAL_NAME_num(san.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(san.get(), i);
      if (name->type != GEN_DNS) continue;
      const ASN1_STRING* dns = name->d.dNSName;
      names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                        static_cast<size_t>(ASN1_STRING_length(dns)))));
    }
  }
  if (!names.empty()) return names;
  // RFC 6125: the CN only when there is no DNS name in the subjectAltName.
  X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                      static_cast<size_t>(ASN1_STRING_length(cn)))));
  }
  return names;
}

std::optional<ServerCertificate> loadServerCertificate(const std::string& certFile, const std::string& keyFile,
                                                       const TlsSettings& settings, std::string* error) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    *error = certFile + ": cannot create a TLS context: " + opensslErrors();
    return std::nullopt;
  }
  if (!applySettings(ctx.get(), settings, error)) return std::nullopt;
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certFile.c_str()) != 1) {
    *error = certFile + ": no certificate could be read: " + opensslErrors();
    return std::nullopt;
  }
  const std::string& keyPath = keyFile.empty() ? certFile : keyFile;
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), keyPath.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      *error = keyPath + ": the private key does not match the certificate of " + certFile;
      ERR_clear_error();
      return std::nullopt;
    }
    *error = keyPath + ": no private key could be read" + (keyFile.empty() ? " (the PEM must hold the key after the chain)" : "") +
             ": " + opensslErrors();
    return std::nullopt;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    *error = keyPath + ": the private key does not match the certificate of " + certFile;
    ERR_clear_error();
    return std::nullopt;
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx.get());
  ServerCertificate cert;
  cert.file = certFile;
  cert.names = certificateNames(leaf);
  const EVP_PKEY* key = X509_get0_pubkey(leaf);
  cert.keyType = key == nullptr ? "?" : EVP_PKEY_get0_type_name(key);
  cert.notAfterUnix = asn1ToUnix(X509_get0_notAfter(leaf));
  cert.expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0;
  cert.ctx = std::move(ctx);
  return cert;
}

}  // namespace weir::tls
