#pragma once
// What ACL matchers look at: views into the request being routed (and, for http_response
// rules, the response status). Built by the session per request without copying anything.

#include <string_view>

#include "weir/http/header_map.h"
#include "weir/net/address.h"

namespace weir::route {

struct RequestFacts {
  std::string_view method;
  std::string_view path;   // normalised (path_normalizer.h), without the query
  std::string_view query;  // after '?', without it
  bool hasQuery = false;    // the target has a '?' (query -m found)
  const http::HeaderMap* headers = nullptr;
  const net::Address* src = nullptr;  // the client
  bool ssl = false;                   // arrived on a TLS bind
  int status = 0;                     // the response status; 0 while routing the request
};

}  // namespace weir::route
