#pragma once
// Certificates made in the test (OpenSSL's API): keys, self-signed certificates with the
// names and validity asked for, written as PEM. For the TLS unit and integration tests.

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "weir/tls/tls_handles.h"

namespace weir::tls::testing {

inline EvpPkeyPtr makeKey(bool ec) {
  return EvpPkeyPtr(ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
}

/// Self-signed for `cn`, with `sans` as DNS names, valid from `fromDays` to `toDays` (from now).
inline X509Ptr makeCert(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& sans, long fromDays = -1,
                        long toDays = 30) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), fromDays * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), toDays * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!sans.empty()) {
    std::string value;
    for (const std::string& s : sans) value += (value.empty() ? "DNS:" : ",DNS:") + s;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

/// Writes `cert` (then `key`, when keyInPem) to `pemPath`, and `key` alone to `keyPath` when given.
inline void writePem(const std::string& pemPath, X509* cert, EVP_PKEY* key, bool keyInPem, const std::string& keyPath = "") {
  BioPtr out(BIO_new_file(pemPath.c_str(), "w"));
  PEM_write_bio_X509(out.get(), cert);
  if (keyInPem) PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  if (keyPath.empty()) return;
  BioPtr keyOut(BIO_new_file(keyPath.c_str(), "w"));
  PEM_write_bio_PrivateKey(keyOut.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
}

}  // namespace weir::tls::testing
