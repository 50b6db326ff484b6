#pragma once
// The reason phrase of an HTTP status code (RFC 9110 section 15), for replies weir writes.

#include <string_view>

namespace weir::http {

/// "Not Found" for 404; a generic phrase by class for codes without a registered one.
std::string_view statusReason(int status);

}  // namespace weir::http
