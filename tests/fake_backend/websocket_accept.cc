#include "websocket_accept.h"

#include <array>
#include <cstdint>

namespace weir::fake {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

uint32_t roundFunction(size_t i, uint32_t b, uint32_t c, uint32_t d) {
  if (i < 20) return (b & c) | (~b & d);
  if (i < 40 || i >= 60) return b ^ c ^ d;
  return (b & c) | (b & d) | (c & d);
}

constexpr std::array<uint32_t, 4> kRoundConstants = {0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6};

void sha1Block(const uint8_t* block, std::array<uint32_t, 5>& h) {
  std::array<uint32_t, 80> w{};
  for (size_t i = 0; i < 16; ++i) {
    const uint8_t* word = block + 4 * i;
    w[i] = uint32_t{word[0]} << 24 | uint32_t{word[1]} << 16 | uint32_t{word[2]} << 8 | uint32_t{word[3]};
  }
  for (size_t i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  std::array<uint32_t, 5> v = h;  // a, b, c, d, e
  for (size_t i = 0; i < 80; ++i) {
    uint32_t t = rotl(v[0], 5) + roundFunction(i, v[1], v[2], v[3]) + v[4] + kRoundConstants[i / 20] + w[i];
    v[4] = v[3];
    v[3] = v[2];
    v[2] = rotl(v[1], 30);
    v[1] = v[0];
    v[0] = t;
  }
  for (size_t i = 0; i < 5; ++i) h[i] += v[i];
}

// SHA-1 as in FIPS 180-4; only ever hashes a short key, so it pads into one buffer.
std::array<uint8_t, 20> sha1(std::string_view data) {
  std::string padded(data);
  padded.push_back('\x80');
  while (padded.size() % 64 != 56) padded.push_back('\0');
  uint64_t bits = uint64_t{data.size()} * 8;
  for (int i = 7; i >= 0; --i) padded.push_back(static_cast<char>(bits >> (8 * i)));
  std::array<uint32_t, 5> h = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  for (size_t off = 0; off < padded.size(); off += 64) {
    sha1Block(reinterpret_cast<const uint8_t*>(padded.data() + off), h);
  }
  std::array<uint8_t, 20> digest{};
  for (int i = 0; i < 20; ++i) digest[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return digest;
}

std::string base64(const uint8_t* data, size_t n) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (i + 1 < n) v |= uint32_t{data[i + 1]} << 8;
    if (i + 2 < n) v |= data[i + 2];
    out.push_back(kChars[(v >> 18) & 63]);
    out.push_back(kChars[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kChars[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? kChars[v & 63] : '=');
  }
  return out;
}

}  // namespace

std::string webSocketAccept(std::string_view key) {
  std::string input(key);
  input.append(kWebSocketGuid);
  std::array<uint8_t, 20> digest = sha1(input);
  return base64(digest.data(), digest.size());
}

}  // namespace weir::fake
