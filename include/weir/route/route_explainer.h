#pragma once
// `weir explain`: how a frontend would route one request, without starting the proxy. Prints
// every ACL's value for the request, each rule evaluated and whether it fired, and what answers:
// a reply written by weir, or a backend (and, with balance: source, the server).

#include <string>
#include <vector>

#include "weir/config/config.h"

namespace weir::route {

struct ExplainRequest {
  std::string frontend;  // "" = the first frontend
  std::string src = "127.0.0.1";
  bool ssl = false;
  std::string requestLine;           // "GET /api/users?x=1" (a trailing " HTTP/1.x" is allowed)
  std::vector<std::string> headers;  // "Host: example.com"
};

/// Writes the explanation to *out and returns true, or returns false with *out saying what is
/// wrong with the request.
bool explainRoute(const config::Config& config, const ExplainRequest& request, std::string* out);

}  // namespace weir::route
