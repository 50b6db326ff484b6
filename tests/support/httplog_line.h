#pragma once
// Parsing of one access-log line in HAProxy's httplog format, for tests that check what weir logged.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::test {

/// `text` cut at every `separator`.
std::vector<std::string> split(std::string_view text, char separator);

/// A decimal integer, optionally negative, and nothing else.
std::optional<long long> toNumber(std::string_view text);

/// `text` has the shape of `pattern`: '9' a digit, 'A' an upper-case and 'a' a lower-case
/// letter, anything else itself.
bool hasShape(std::string_view text, std::string_view pattern);

/// Every field of one httplog line:
///   ip:port [date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes - - term
///   actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue "request line"
struct HttpLogLine {
  std::string clientIp;
  long long clientPort = 0;
  std::string acceptDate;  // "08/Mar/2025:14:03:07.123"
  std::string frontend;
  std::string backend;
  std::string server;
  long long TR = 0, Tw = 0, Tc = 0, Tr = 0, Ta = 0;
  long long status = 0;
  long long bytes = 0;
  std::string termination;
  long long retries = -1;
  long long serverConns = -1;   // srv_conn
  long long backendQueue = -1;  // backend_queue: requests waiting before this one
  std::string requestLine;
};

/// nullopt when the line does not have every field in its place.
std::optional<HttpLogLine> parseHttpLog(std::string_view line);

}  // namespace weir::test
