#pragma once
// weir's HAProxy-style stats CSV (`/stats;csv`) as rows of column name -> value.

#include <map>
#include <string>

namespace weir::test {

/// Rows keyed by "pxname/svname" ("web/FRONTEND", "app/s1"). Records a test failure when the
/// header or a line does not have HAProxy's shape.
std::map<std::string, std::map<std::string, std::string>> parseStatsCsv(const std::string& csv);

}  // namespace weir::test
