#include "support/http_response.h"

#include <cstdio>

namespace weir::test {

namespace {

const char* framingName(BodyFraming framing) {
  switch (framing) {
    case BodyFraming::None:
      return "none";
    case BodyFraming::ContentLength:
      return "content-length";
    case BodyFraming::Chunked:
      return "chunked";
    case BodyFraming::UntilClose:
      return "until-close";
  }
  return "?";
}

}  // namespace

std::string HttpResponse::describe() const {
  if (!ok()) {
    return "no response: " + error;
  }
  return version + " " + std::to_string(status) + " " + reason + " (framing " +
         framingName(framing) + ", body " + std::to_string(body.size()) + " bytes)";
}

std::string escapeBytes(std::string_view bytes, std::size_t limit) {
  std::string text;
  for (char c : bytes) {
    if (text.size() >= limit) {
      text += "...";
      break;
    }
    if (c == '\r') {
      text += "\\r";
    } else if (c == '\n') {
      text += "\\n";
    } else if (c == '\\') {
      text += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      text += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      text += hex;
    }
  }
  return text;
}

}  // namespace weir::test
