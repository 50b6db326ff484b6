#pragma once
// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.

#include <string>
#include <string_view>

namespace weir {

void appendJsonString(std::string_view s, std::string& out);

}  // namespace weir
