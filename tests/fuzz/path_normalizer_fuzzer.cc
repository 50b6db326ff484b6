// libFuzzer target: the input is a request path (the target up to its '?').
//
// normalizePath, the one path every rule and every server sees: when it accepts a path, the
// result starts with '/', has no "//", no "." or ".." segment, only well-formed upper-case
// %-escapes and none of an unreserved character; normalising it again changes nothing; and it
// equals a plain reference implementation of the documented steps (path_normalizer.h).
// relativeFilePath, how a static site maps that path under its root: what it accepts is
// relative, has no "." or ".." segment, no NUL or '\', and no dotfile unless allowed, so no
// file outside the root (or hidden) can be named.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "weir/base/hex.h"
#include "weir/route/path_normalizer.h"
#include "weir/static/file_opener.h"

namespace {

bool isUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool isLowerHexLetter(char c) { return c >= 'a' && c <= 'f'; }

std::vector<std::string_view> segmentsOf(std::string_view path) {  // after the leading '/'
  std::vector<std::string_view> out;
  size_t at = 0;
  while (true) {
    const size_t slash = path.find('/', at);
    out.push_back(path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at));
    if (slash == std::string_view::npos) return out;
    at = slash + 1;
  }
}

/// path_normalizer.h's steps written the plain way: decode, merge slashes, refuse "/.;" and
/// "/..;", then a stack of segments for RFC 3986 5.2.4.
std::optional<std::string> referenceNormalize(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::string(path);
  std::string decoded;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      const int byte = weir::hexByteAt(path, i + 1);
      if (byte < 0) return std::nullopt;
      i += 2;
      if (!isUnreserved(static_cast<unsigned char>(byte))) {
        decoded += fmt::format("%{:02X}", byte);
        continue;
      }
      c = static_cast<char>(byte);
    }
    if (c == '/' && !decoded.empty() && decoded.back() == '/') continue;
    decoded.push_back(c);
  }
  const std::vector<std::string_view> segments = segmentsOf(std::string_view(decoded).substr(1));
  std::vector<std::string_view> kept;
  bool trailingSlash = false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string_view s = segments[i];
    if (s.starts_with(".;") || s.starts_with("..;")) return std::nullopt;
    trailingSlash = false;
    if (s == ".") {
      trailingSlash = true;
    } else if (s == "..") {
      if (!kept.empty()) kept.pop_back();
      trailingSlash = true;
    } else {
      kept.push_back(s);
    }
  }
  std::string out = "/";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (trailingSlash && !kept.empty()) out += '/';
  return out;
}

void checkNormalised(std::string_view input, const std::string& path) {
  FUZZ_CHECK(!path.empty() && path[0] == '/', "'{}' normalises to '{}'", input, path);
  FUZZ_CHECK(path.find("//") == std::string::npos, "'{}' normalises to '{}' with '//'", input, path);
  for (std::string_view s : segmentsOf(std::string_view(path).substr(1)))
    FUZZ_CHECK(s != "." && s != "..", "'{}' normalises to '{}' with a dot segment", input, path);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') continue;
    const int byte = weir::hexByteAt(path, i + 1);
    FUZZ_CHECK(byte >= 0 && !isUnreserved(static_cast<unsigned char>(byte)) && !isLowerHexLetter(path[i + 1]) &&
                   !isLowerHexLetter(path[i + 2]),
               "'{}' normalises to '{}' with escape '{}'", input, path, path.substr(i, 3));
  }
  std::string again;
  FUZZ_CHECK(weir::route::normalizePath(path, again) && again == path, "not idempotent: '{}' -> '{}' -> '{}'", input,
             path, again);
}

void checkRelative(std::string_view normalised, bool dotfiles) {
  std::string relative;
  if (!weir::static_files::relativeFilePath(normalised, dotfiles, relative)) return;
  FUZZ_CHECK(relative.empty() || relative[0] != '/', "'{}' maps to absolute '{}'", normalised, relative);
  FUZZ_CHECK(relative.find('\0') == std::string::npos && relative.find('\\') == std::string::npos,
             "'{}' maps to '{}' with a NUL or backslash", normalised, relative);
  const bool wellKnown = relative == ".well-known" || relative.starts_with(".well-known/");
  bool first = true;
  for (std::string_view s : segmentsOf(relative)) {
    FUZZ_CHECK(s != "." && s != "..", "'{}' maps to '{}' with a dot segment", normalised, relative);
    FUZZ_CHECK(dotfiles || s.empty() || s[0] != '.' || (first && wellKnown), "'{}' maps to dotfile '{}'", normalised,
               relative);
    first = false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string path;
  const bool ok = weir::route::normalizePath(input, path);
  const std::optional<std::string> expected = referenceNormalize(input);
  FUZZ_CHECK(ok == expected.has_value() && (!ok || path == *expected), "'{}': normalizePath {} '{}', reference {} '{}'",
             input, ok, path, expected.has_value(), expected.value_or(""));
  if (!ok || input.empty() || input[0] != '/') return 0;
  checkNormalised(input, path);
  checkRelative(path, false);
  checkRelative(path, true);
  return 0;
}
