#include "support/access_log_line.h"

#include <gtest/gtest.h>

namespace weir::test {

HttpLogLine logLineFor(WeirInstance& weir, const std::string& target) {
  const std::optional<std::string> line = weir.waitForAccessLog("\"GET " + target + " HTTP/1.1\"");
  if (!line) {
    ADD_FAILURE() << "no access-log line for " << target << "; access log:\n" << weir.accessLog();
    return {};
  }
  const std::optional<HttpLogLine> parsed = parseHttpLog(*line);
  if (!parsed) {
    ADD_FAILURE() << "not an httplog line: " << *line;
    return {};
  }
  return *parsed;
}

}  // namespace weir::test
