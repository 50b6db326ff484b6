#pragma once
// Hexadecimal digits, for the %XX and \xNN escapes of paths and rule lines.

#include <string_view>

namespace weir {

/// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 otherwise.
constexpr int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The byte written as two hex digits at text[at], text[at + 1]; -1 when they are not both there.
constexpr int hexByteAt(std::string_view text, size_t at) {
  if (at + 1 >= text.size()) return -1;
  const int hi = hexDigitValue(text[at]);
  const int lo = hexDigitValue(text[at + 1]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace weir
