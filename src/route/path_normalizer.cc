#include "weir/route/path_normalizer.h"

#include <cctype>

#include "weir/base/hex.h"

namespace weir::route {
namespace {

bool isUnreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

/// Step 1 and 2: decode unreserved escapes, upper-case the others, merge slashes.
bool decodeAndMerge(std::string_view path, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      const int byte = hexByteAt(path, i + 1);
      if (byte < 0) return false;
      const auto decoded = static_cast<unsigned char>(byte);
      i += 2;
      if (!isUnreserved(decoded)) {
        out += {'%', kHex[decoded >> 4], kHex[decoded & 15]};
        continue;
      }
      c = static_cast<char>(decoded);
    }
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  return true;
}

/// Step 3 on a path that starts with '/' and has no "//": removes "." and ".." segments in place.
void removeDotSegments(std::string& path) {
  size_t write = 0;  // path[0, write) is the output so far; it always ends without a '/'
  size_t read = 0;
  while (read < path.size()) {
    // path[read] == '/': one segment runs to the next '/' or the end.
    size_t end = path.find('/', read + 1);
    if (end == std::string::npos) end = path.size();
    const std::string_view segment(path.data() + read + 1, end - read - 1);
    const bool last = end == path.size();
    if (segment == ".") {
      if (last) path[write++] = '/';
    } else if (segment == "..") {
      while (write > 0 && path[--write] != '/') {}
      if (last) path[write++] = '/';
    } else {
      for (size_t i = read; i < end; ++i) path[write++] = path[i];
    }
    read = end;
  }
  path.resize(write == 0 ? 1 : write);
  path[0] = '/';
}

}  // namespace

bool normalizePath(std::string_view path, std::string& out) {
  out.clear();
  if (path.empty() || path[0] != '/') {
    out.assign(path);
    return true;  // "*" or empty: nothing to normalise
  }
  if (!decodeAndMerge(path, out)) return false;
  if (out.find("/.") == std::string::npos) return true;
  // "/..;x/" is not a dot segment for RFC 3986 but is one for servers that strip path
  // parameters (Tomcat): the two would disagree on the path, so such a path is refused.
  for (size_t at = out.find("/."); at != std::string::npos; at = out.find("/.", at + 1)) {
    const size_t dots = out.compare(at + 1, 2, "..") == 0 ? 2 : 1;
    if (at + 1 + dots < out.size() && out[at + 1 + dots] == ';') return false;
  }
  removeDotSegments(out);
  return true;
}

TargetParts splitTarget(std::string_view target) {
  TargetParts parts;
  std::string_view rest = target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (rest.size() < scheme.size()) continue;
    bool same = true;
    for (size_t i = 0; i < scheme.size(); ++i)
      same = same && std::tolower(static_cast<unsigned char>(rest[i])) == scheme[i];
    if (!same) continue;
    rest.remove_prefix(scheme.size());
    const size_t slash = rest.find_first_of("/?");
    parts.authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    break;
  }
  const size_t q = rest.find('?');
  parts.path = rest.substr(0, q);
  if (!parts.authority.empty() && parts.path.empty()) parts.path = "/";  // "http://host?q" is "/?q"
  if (q != std::string_view::npos) {
    parts.query = rest.substr(q + 1);
    parts.hasQuery = true;
  }
  return parts;
}

}  // namespace weir::route
