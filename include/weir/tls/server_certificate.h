#pragma once
// A certificate a TLS bind serves: its chain and key loaded from PEM into an SSL_CTX of its
// own (SNI switches a connection to it), the names it answers for (DNS names of its
// subjectAltName, else its CN) and what an operator should know (expiry, key type). A file
// that cannot be read, holds no certificate or no key, or whose key does not match its
// certificate is an error naming the file.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weir/tls/tls_handles.h"

namespace weir::tls {

/// The protocol settings of a TLS bind (Mozilla's "intermediate" profile by default).
struct TlsSettings {
  int minVersion = TLS1_2_VERSION;  // TLS 1.0 and 1.1 are refused
  std::string ciphers =             // TLS 1.2 suites
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
  std::string ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";  // TLS 1.3
};

struct ServerCertificate {
  std::string file;
  SslCtxPtr ctx;
  std::vector<std::string> names;  // lower case; may start with "*."
  std::string keyType;             // "RSA", "EC", ...
  int64_t notAfterUnix = 0;
  bool expired = false;
};

/// Loads `certFile` (chain, and the key unless `keyFile` is given) with `settings`. On failure
/// returns nullopt and sets *error to a message that names the file.
std::optional<ServerCertificate> loadServerCertificate(const std::string& certFile, const std::string& keyFile,
                                                       const TlsSettings& settings, std::string* error);

/// Applies `settings` to `ctx` (versions, ciphers, ALPN http/1.1 and the options every server
/// context shares). False with *error when OpenSSL refuses a cipher string.
bool applySettings(SSL_CTX* ctx, const TlsSettings& settings, std::string* error);

/// The names a certificate answers for: the DNS entries of its subjectAltName, or its CN when
/// it has none (lower case).
std::vector<std::string> certificateNames(X509* cert);

/// OpenSSL's error queue as one line (emptied).
std::string opensslErrors();

}  // namespace weir::tls
