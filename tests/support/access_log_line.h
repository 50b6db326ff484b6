#pragma once
// Finding the access-log line weir wrote for a request, for tests that check what it logged.

#include <string>

#include "support/httplog_line.h"
#include "support/weir_instance.h"

namespace weir::test {

/// The parsed httplog line of `GET target HTTP/1.1` (targets are unique per test). Records a
/// test failure and returns an empty line when there is none, or it does not parse.
HttpLogLine logLineFor(WeirInstance& weir, const std::string& target);

}  // namespace weir::test
