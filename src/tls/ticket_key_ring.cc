#include "weir/tls/ticket_key_ring.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace weir::tls {

namespace {

int ringIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool setMacKey(EVP_MAC_CTX* mac, unsigned char* key, size_t len) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, len),
                         OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

}  // namespace

std::shared_ptr<TicketKeyRing> TicketKeyRing::create(std::string* error) {
  std::shared_ptr<TicketKeyRing> ring(new TicketKeyRing());
  if (!fill(ring->keys_[0])) {
    *error = "cannot draw random bytes for session-ticket keys";
    return nullptr;
  }
  return ring;
}

bool TicketKeyRing::fill(Key& key) {
  return RAND_bytes(key.name, sizeof(key.name)) == 1 && RAND_priv_bytes(key.hmac, sizeof(key.hmac)) == 1 &&
         RAND_priv_bytes(key.aes, sizeof(key.aes)) == 1;
}

bool TicketKeyRing::rotate() {
  const uint64_t next = generation_.load(std::memory_order_relaxed) + 1;
  if (!fill(keys_[next % keys_.size()])) return false;  // the slot no reader uses
  generation_.store(next, std::memory_order_release);
  return true;
}

void TicketKeyRing::install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ringIndex(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeyRing::onTicket);
  SSL_CTX_set_timeout(ctx, static_cast<long>(kRotation.count()));
}

int TicketKeyRing::onTicket(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                            EVP_MAC_CTX* mac, int encrypt) {
  auto* ring = static_cast<TicketKeyRing*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ringIndex()));
  if (ring == nullptr) return -1;
  const uint64_t generation = ring->generation_.load(std::memory_order_acquire);
  Key& current = ring->keys_[generation % ring->keys_.size()];
  if (encrypt == 1) {
    const int ivLength = EVP_CIPHER_get_iv_length(EVP_aes_256_cbc());
    if (RAND_bytes(iv, ivLength) != 1) return -1;
    std::memcpy(name, current.name, sizeof(current.name));
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, current.aes, iv) != 1) return -1;
    return setMacKey(mac, current.hmac, sizeof(current.hmac)) ? 1 : -1;
  }
  Key* key = nullptr;
  int found = 1;
  if (std::memcmp(name, current.name, sizeof(current.name)) == 0) {
    key = &current;
  } else if (generation > 0) {
    Key& previous = ring->keys_[(generation - 1) % ring->keys_.size()];
    if (std::memcmp(name, previous.name, sizeof(previous.name)) == 0) {
      key = &previous;
      found = 2;  // good, but the client gets a ticket under the current key
    }
  }
  if (key == nullptr) return 0;  // unknown or expired key: a full handshake
  if (!setMacKey(mac, key->hmac, sizeof(key->hmac))) return -1;
  if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes, iv) != 1) return -1;
  return found;
}

}  // namespace weir::tls
