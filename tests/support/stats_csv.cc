#include "support/stats_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace weir::test {

namespace {

/// A CSV line split on commas (the stats' values hold none).
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  return out;
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> parseStatsCsv(const std::string& csv) {
  std::istringstream in(csv);
  std::string headerLine;
  std::getline(in, headerLine);
  EXPECT_TRUE(headerLine.starts_with("# pxname,svname,")) << headerLine;
  const std::vector<std::string> names = cells(headerLine.size() > 2 ? headerLine.substr(2) : "");
  std::map<std::string, std::map<std::string, std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_EQ(line.back(), ',') << "HAProxy ends every line with a comma";
    std::vector<std::string> values = cells(line);
    values.resize(std::max<size_t>(names.size(), 2));
    auto& row = rows[values[0] + "/" + values[1]];
    for (size_t i = 0; i < names.size(); ++i) row[names[i]] = values[i];
  }
  return rows;
}

}  // namespace weir::test
