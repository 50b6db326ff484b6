#include "request_parser.h"

#include <algorithm>
#include <cctype>

namespace weir::fake {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  const auto* it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
  return it != haystack.end();
}

}  // namespace

RequestParser::RequestParser() {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = onMessageBegin;
  settings_.on_method = onMethod;
  settings_.on_url = onUrl;
  settings_.on_header_field = onHeaderField;
  settings_.on_header_value = onHeaderValue;
  settings_.on_header_value_complete = onHeaderValueComplete;
  settings_.on_headers_complete = onHeadersComplete;
  settings_.on_body = onBody;
  settings_.on_message_complete = onMessageComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

// Callbacks pause llhttp at the end of a head and of a message; the error position then
// tells how much of the input belongs to the part just finished.
RequestParser::Step RequestParser::feed(const char* data, size_t length) {
  if (paused_) {
    llhttp_resume(&parser_);
    paused_ = false;
  }
  pausedAt_ = Event::kNeedMore;
  headFrom_ = nullptr;
  llhttp_errno_t err = llhttp_execute(&parser_, data, length);
  const char* stop = data + length;
  if (err != HPE_OK) stop = llhttp_get_error_pos(&parser_);
  if (inHead_) {
    const char* from = headFrom_ != nullptr ? headFrom_ : data;
    if (stop > from) head_.append(from, stop);
  }
  if (pausedAt_ == Event::kHeadComplete) inHead_ = false;
  auto consumed = static_cast<size_t>(stop - data);
  if (err == HPE_PAUSED) {
    paused_ = true;
    return {pausedAt_, consumed};
  }
  if (err != HPE_OK) return {Event::kError, consumed};
  return {Event::kNeedMore, consumed};
}

std::string_view RequestParser::errorReason() const {
  const char* reason = llhttp_get_error_reason(&parser_);
  if (reason != nullptr && *reason != '\0') return reason;
  return llhttp_errno_name(llhttp_get_errno(&parser_));
}

void RequestParser::beginMessage() {
  inMessage_ = true;
  target_.clear();
  head_.clear();
  body_.clear();
  field_.clear();
  value_.clear();
  webSocketKey_.clear();
  expectContinue_ = false;
  upgradeWebSocket_ = false;
}

void RequestParser::noteHeader() {
  if (equalsIgnoreCase(field_, "expect")) {
    expectContinue_ = equalsIgnoreCase(value_, "100-continue");
  } else if (equalsIgnoreCase(field_, "upgrade")) {
    upgradeWebSocket_ = containsIgnoreCase(value_, "websocket");
  } else if (equalsIgnoreCase(field_, "sec-websocket-key")) {
    webSocketKey_ = value_;
  }
  field_.clear();
  value_.clear();
}

int RequestParser::onMessageBegin(llhttp_t* p) {
  self(p).beginMessage();
  return 0;
}

int RequestParser::onMethod(llhttp_t* p, const char* at, size_t /*length*/) {
  RequestParser& parser = self(p);
  if (!parser.inHead_) {  // first byte of the request line: the raw head starts here
    parser.inHead_ = true;
    parser.headFrom_ = at;
  }
  return 0;
}

int RequestParser::onUrl(llhttp_t* p, const char* at, size_t n) {
  self(p).target_.append(at, n);
  return 0;
}

int RequestParser::onHeaderField(llhttp_t* p, const char* at, size_t n) {
  self(p).field_.append(at, n);
  return 0;
}

int RequestParser::onHeaderValue(llhttp_t* p, const char* at, size_t n) {
  self(p).value_.append(at, n);
  return 0;
}

int RequestParser::onHeaderValueComplete(llhttp_t* p) {
  self(p).noteHeader();
  return 0;
}

int RequestParser::onHeadersComplete(llhttp_t* p) {
  self(p).pausedAt_ = Event::kHeadComplete;
  return HPE_PAUSED;
}

int RequestParser::onBody(llhttp_t* p, const char* at, size_t n) {
  self(p).body_.append(at, n);
  return 0;
}

int RequestParser::onMessageComplete(llhttp_t* p) {
  RequestParser& parser = self(p);
  parser.inMessage_ = false;
  parser.pausedAt_ = Event::kMessageComplete;
  return HPE_PAUSED;
}

}  // namespace weir::fake
