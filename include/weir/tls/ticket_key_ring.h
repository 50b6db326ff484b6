#pragma once
// Session-ticket keys shared by every TLS bind and worker, rotated on a timer: new tickets are
// sealed with the current key, and tickets sealed with the previous one are still accepted
// (and replaced), so a client's ticket stays good for at least one rotation period. Keys live
// only in memory: a restart starts a new ring, as with HAProxy and nginx without a key file.
//
// Readers (the handshake callback, on any worker) take no lock: rotate() writes the one slot
// that is neither the current nor the previous key, then publishes it. A reader would only see
// a slot rewritten under it if it stalled across two whole rotation periods.

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace weir::tls {

class TicketKeyRing {
 public:
  /// How often the key changes; tickets say they live this long (SSL_CTX_set_timeout).
  static constexpr std::chrono::seconds kRotation{3600};

  /// A ring with one fresh random key; nullptr with *error when no random bytes can be drawn.
  static std::shared_ptr<TicketKeyRing> create(std::string* error);

  /// A new current key; the current one becomes the previous, the previous is forgotten.
  bool rotate();
  /// Makes `ctx` seal and open its tickets with this ring.
  void install(SSL_CTX* ctx);

 private:
  struct Key {
    unsigned char name[16];
    unsigned char hmac[32];
    unsigned char aes[32];
  };
  TicketKeyRing() = default;
  static bool fill(Key& key);
  static int onTicket(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                      int encrypt);

  std::array<Key, 3> keys_{};
  std::atomic<uint64_t> generation_{0};  // keys_[generation % 3] is current
};

}  // namespace weir::tls
