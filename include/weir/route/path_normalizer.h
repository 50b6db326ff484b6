#pragma once
// The one place request paths are normalised, before any rule looks at them and before the
// request is forwarded, so that what a rule matched is what the server receives:
//   1. %XX escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded ("/%61dmin" is
//      "/admin"); other escapes are kept with upper-case hex digits ("%2f" -> "%2F": an encoded
//      slash stays data, never a separator);
//   2. runs of slashes are merged ("//admin" -> "/admin", as nginx's merge_slashes);
//   3. "." and ".." segments are removed (RFC 3986 5.2.4; ".." never climbs above "/"),
//      so "/api/../admin" is "/admin" for the rules and for the server alike.
// A malformed escape ("%zz", "%4"), or a dot segment with a path parameter ("/..;/", which
// servers that strip parameters read as ".."), makes the path invalid: the request gets a 400.
// Pure; allocates only when `out` must grow.

#include <string>
#include <string_view>

namespace weir::route {

/// Writes the normalised form of `path` (an origin-form path without the query, starting with
/// '/'; anything else, such as "*", is copied as it is) into `out`. Returns false when the path
/// is invalid (see above).
bool normalizePath(std::string_view path, std::string& out);

/// The parts of a request target: `path` is "*" for "*"; for absolute-form
/// ("http://host:80/p?q") `authority` is "host:80", and the path is "/" when none is written.
struct TargetParts {
  std::string_view authority;
  std::string_view path;
  std::string_view query;  // after '?', without it
  bool hasQuery = false;
};

TargetParts splitTarget(std::string_view target);

}  // namespace weir::route
