#include "weir/http/http_parser.h"

#include <charconv>
#include <cstring>
#include <string_view>

namespace weir::http {

// llhttp calls back C functions with the parser; these trampolines find our object in ->data.
struct ParserCallbacks {
  static HttpParser* self(llhttp_t* p) { return static_cast<HttpParser*>(p->data); }
  static int messageBegin(llhttp_t* p) { return self(p)->onMessageBegin(); }
  static int url(llhttp_t* p, const char* at, size_t n) { return self(p)->onUrl(at, n); }
  static int status(llhttp_t* p, const char* at, size_t n) { return self(p)->onStatus(at, n); }
  static int headerField(llhttp_t* p, const char* at, size_t n) { return self(p)->onHeaderField(at, n); }
  static int headerValue(llhttp_t* p, const char* at, size_t n) { return self(p)->onHeaderValue(at, n); }
  static int headerValueComplete(llhttp_t* p) { return self(p)->onHeaderValueComplete(); }
  static int headersComplete(llhttp_t* p) { return self(p)->onHeadersComplete(); }
  static int chunkHeader(llhttp_t* p) { return self(p)->onChunkHeader(); }
  static int body(llhttp_t* p, const char* at, size_t n) { return self(p)->onBody(at, n); }
  static int messageComplete(llhttp_t* p) { return self(p)->onMessageComplete(); }

  static const llhttp_settings_t* settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t v;
      llhttp_settings_init(&v);
      v.on_message_begin = &messageBegin;
      v.on_url = &url;
      v.on_status = &status;
      v.on_header_field = &headerField;
      v.on_header_value = &headerValue;
      v.on_header_value_complete = &headerValueComplete;
      v.on_headers_complete = &headersComplete;
      v.on_chunk_header = &chunkHeader;
      v.on_body = &body;
      v.on_message_complete = &messageComplete;
      return v;
    }();
    return &s;
  }
};

namespace {

constexpr int kBadRequest = 400;
constexpr int kContentTooLarge = 413;
constexpr int kUriTooLong = 414;
constexpr int kHeadTooLarge = 431;

bool isValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// RFC 9110 tchar.
bool isTokenChar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

/// For an absolute-form target ("http://host:80/p"): whether its authority names a host.
/// Found by tests/fuzz/http_request_fuzzer: "http://", "http:///p" or "http://?q" have none, so
/// the session kept Host as sent and forwarded the target as it was, not in origin-form; and
/// RFC 9110 4.2.1 says an http URI with an empty host is invalid and must be rejected.
bool hasHost(std::string_view target) {
  target.remove_prefix(target.find("//") + 2);
  std::string_view authority = target.substr(0, target.find_first_of("/?"));  // as route::splitTarget
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  return !authority.empty() && authority[0] != ':';
}

}  // namespace

HttpParser::HttpParser(Kind kind, ParserLimits limits, BodySink* sink)
    : kind_(kind), limits_(limits), sink_(sink) {
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, ParserCallbacks::settings());
  parser_.data = this;
}

int HttpParser::fail(int status, std::string reason) {
  if (error_.status == 0) {
    error_.status = status;
    error_.reason = std::move(reason);
  }
  return HPE_USER;
}

HttpParser::Result HttpParser::feed(const char* data, size_t len) {
  if (error_.status != 0) return {Status::kError, 0};
  if (headComplete_ && !headSignalled_) {
    headSignalled_ = true;
    return {Status::kHead, 0};
  }
  if (complete_) return {Status::kComplete, 0};
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);

  const bool wasInHead = !headComplete_;
  const bool wasInTrailer = inTrailer_;
  if ((wasInHead || wasInTrailer) && !scanHeadForFolding(data, len)) {
    fail(kBadRequest, "obsolete line folding or whitespace at the start of a header line");
    return {Status::kError, 0};
  }
  llhttp_errno_t rc = llhttp_execute(&parser_, data, len);
  const char* trailerStart = wasInTrailer ? data : nullptr;
  if (rc == HPE_PAUSED && trailerStarting_) {
    // The last chunk's size line has ended: the trailer section, read by llhttp like a head,
    // gets the same scan before llhttp sees it.
    trailerStarting_ = false;
    inTrailer_ = true;
    trailerStart = llhttp_get_error_pos(&parser_);
    const size_t rest = len - static_cast<size_t>(trailerStart - data);
    foldScan_ = FoldScan{true, true, false, false};
    if (!scanHeadForFolding(trailerStart, rest)) {
      fail(kBadRequest, "obsolete line folding or whitespace at the start of a trailer line");
      return {Status::kError, 0};
    }
    llhttp_resume(&parser_);
    rc = llhttp_execute(&parser_, trailerStart, rest);
  }
  size_t consumed = len;
  if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE) {
    consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
  } else if (rc != HPE_OK) {
    fail(kBadRequest, llhttp_get_error_reason(&parser_) ? llhttp_get_error_reason(&parser_) : llhttp_errno_name(rc));
    return {Status::kError, 0};
  }
  if (wasInHead && messageStarted_) {
    // At a head pause `consumed` ends exactly at the head, so this counts head bytes only.
    headBytes_ += consumed;
    if (headBytes_ > limits_.maxHeadBytes) {
      fail(kHeadTooLarge, "request head too large");
      return {Status::kError, 0};
    }
  }
  if (trailerStart != nullptr) {  // trailers are dropped, and bounded like a head
    trailerBytes_ += consumed - static_cast<size_t>(trailerStart - data);
    if (trailerBytes_ > limits_.maxHeadBytes) {
      fail(kHeadTooLarge, "trailer section too large");
      return {Status::kError, 0};
    }
  }
  if (headComplete_ && !headSignalled_) {
    headSignalled_ = true;
    return {Status::kHead, consumed};
  }
  if (complete_) return {Status::kComplete, consumed};
  return {Status::kNeedMore, consumed};
}

HttpParser::Status HttpParser::finishAtEof() {
  if (error_.status != 0) return Status::kError;
  if (complete_) return Status::kComplete;
  if (!messageStarted_) return Status::kNeedMore;
  if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
  llhttp_errno_t rc = llhttp_finish(&parser_);
  if (complete_) return Status::kComplete;
  fail(kBadRequest, rc != HPE_OK && llhttp_get_error_reason(&parser_) ? llhttp_get_error_reason(&parser_)
                                                                      : "connection closed mid-message");
  return Status::kError;
}

void HttpParser::startNext() {
  request_.clear();
  response_.clear();
  for (std::string* s : {&field_, &value_}) {  // a long field's buffer is not kept for the next message
    if (s->capacity() > HeaderMap::kRetainedPerString) std::string().swap(*s);
    else s->clear();
  }
  headComplete_ = messageStarted_ = headSignalled_ = complete_ = false;
  foldScan_ = FoldScan{};
  expectNoBody_ = false;
  headBytes_ = 0;
  chunkedBodyBytes_ = 0;
  trailerBytes_ = 0;
  inTrailer_ = trailerStarting_ = false;
  llhttp_errno_t err = llhttp_get_errno(&parser_);
  if (err == HPE_PAUSED) llhttp_resume(&parser_);
  if (err == HPE_PAUSED_UPGRADE) llhttp_resume_after_upgrade(&parser_);
}

bool HttpParser::scanHeadForFolding(const char* data, size_t len) {
  // llhttp accepts obs-fold (a header line starting with SP or HT) and joins it to the value
  // before; we reject it, so this scan looks at the head bytes before llhttp does and stops at
  // the blank line that ends the head.
  // Only the bytes just after a LF matter: inside a line the scan jumps to the next LF.
  size_t i = 0;
  while (i < len && !foldScan_.done) {
    if (!foldScan_.started) {
      const char c = data[i++];
      foldScan_.started = c != '\r' && c != '\n';  // llhttp skips empty lines before a message
      continue;
    }
    if (!foldScan_.afterLf && !foldScan_.crAfterLf) {
      const void* lf = std::memchr(data + i, '\n', len - i);
      if (lf == nullptr) return true;
      i = static_cast<size_t>(static_cast<const char*>(lf) - data);
    }
    const char c = data[i++];
    if (foldScan_.afterLf && (c == ' ' || c == '\t')) return false;
    if (c == '\n' && (foldScan_.afterLf || foldScan_.crAfterLf)) foldScan_.done = true;
    foldScan_.crAfterLf = foldScan_.afterLf && c == '\r';
    foldScan_.afterLf = c == '\n';
  }
  return true;
}

void HttpParser::reset() {
  llhttp_init(&parser_, kind_ == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, ParserCallbacks::settings());
  parser_.data = this;
  error_ = ParseError{};
  startNext();
}

int HttpParser::onMessageBegin() {
  messageStarted_ = true;
  return 0;
}

int HttpParser::onUrl(const char* at, size_t len) {
  request_.target.append(at, len);
  if (request_.target.size() > limits_.maxUriBytes) return fail(kUriTooLong, "request URI too long");
  return 0;
}

int HttpParser::onStatus(const char* at, size_t len) {
  response_.reason.append(at, len);
  if (response_.reason.size() > limits_.maxHeadBytes) return fail(kBadRequest, "status line too long");
  return 0;
}

int HttpParser::onHeaderField(const char* at, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (!isTokenChar(static_cast<unsigned char>(at[i]))) return fail(kBadRequest, "invalid character in header name");
  field_.append(at, len);
  if (field_.size() > limits_.maxHeadBytes) return fail(kHeadTooLarge, "header field too large");
  return 0;
}

int HttpParser::onHeaderValue(const char* at, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (!isValueChar(static_cast<unsigned char>(at[i]))) return fail(kBadRequest, "invalid character in header value");
  value_.append(at, len);
  if (value_.size() > limits_.maxHeadBytes) return fail(kHeadTooLarge, "header value too large");
  return 0;
}

int HttpParser::onHeaderValueComplete() {
  if (field_.empty()) return fail(kBadRequest, "empty header name");
  if (!headComplete_) {  // trailers after a chunked body are read and dropped
    HeaderMap& headers = kind_ == Kind::kRequest ? request_.headers : response_.headers;
    if (headers.size() >= limits_.maxHeaders) return fail(kHeadTooLarge, "too many header fields");
    while (!value_.empty() && (value_.back() == ' ' || value_.back() == '\t')) value_.pop_back();
    headers.add(field_, value_);
  }
  field_.clear();
  value_.clear();
  return 0;
}

bool HttpParser::checkTransferEncoding(const HeaderMap& headers) {
  // Only a single, bare "chunked" is accepted: it is the only coding we can re-frame safely.
  size_t n = headers.count(FieldId::kTransferEncoding);
  if (n == 0) return true;
  // ...and only when llhttp read it as chunked too: it takes "chunked" followed by a tab for
  // another coding, where our trimmed value says "chunked". A request then got a head without
  // a body and an error at its first body byte, a response a chunked body read raw until
  // close. Found by tests/fuzz/http_request_fuzzer.
  return n == 1 && equalsIgnoreCase(*headers.get(FieldId::kTransferEncoding), "chunked") && (parser_.flags & F_CHUNKED) != 0;
}

bool HttpParser::validateRequestHead() {
  RequestHead& r = request_;
  if (parser_.http_major != 1 || parser_.http_minor > 1) return fail(kBadRequest, "unsupported HTTP version"), false;
  if (parser_.method == HTTP_CONNECT) return fail(kBadRequest, "CONNECT is not supported"), false;
  if (!checkTransferEncoding(r.headers)) return fail(kBadRequest, "unsupported Transfer-Encoding"), false;
  // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is not to be trusted.
  if (r.versionMinor == 0 && r.headers.has(FieldId::kTransferEncoding)) return fail(kBadRequest, "Transfer-Encoding in HTTP/1.0"), false;
  if (r.headers.count(FieldId::kContentLength) > 1) return fail(kBadRequest, "duplicate Content-Length"), false;
  size_t hosts = r.headers.count(FieldId::kHost);
  if (hosts > 1 || (hosts == 0 && r.versionMinor == 1)) return fail(kBadRequest, "missing or duplicate Host"), false;
  const std::string& t = r.target;
  bool originForm = !t.empty() && t[0] == '/';
  bool absoluteForm = t.rfind("http://", 0) == 0 || t.rfind("https://", 0) == 0;
  bool asterisk = t == "*" && parser_.method == HTTP_OPTIONS;
  if (!originForm && !absoluteForm && !asterisk) return fail(kBadRequest, "invalid request target"), false;
  if (absoluteForm && !hasHost(t)) return fail(kBadRequest, "absolute-form target without a host"), false;
  return true;
}

bool HttpParser::validateResponseHead() {
  ResponseHead& r = response_;
  if (parser_.http_major != 1 || parser_.http_minor > 1) return fail(kBadRequest, "unsupported HTTP version"), false;
  if (r.status < 100 || r.status > 599) return fail(kBadRequest, "invalid status code"), false;
  if (!checkTransferEncoding(r.headers)) return fail(kBadRequest, "unsupported Transfer-Encoding"), false;
  if (r.headers.count(FieldId::kContentLength) > 1) return fail(kBadRequest, "duplicate Content-Length"), false;
  return true;
}

int HttpParser::onHeadersComplete() {
  headComplete_ = true;
  const bool chunked = (parser_.flags & F_CHUNKED) != 0;
  const bool hasLength = (parser_.flags & F_CONTENT_LENGTH) != 0;
  if (kind_ == Kind::kRequest) {
    RequestHead& r = request_;
    r.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
    r.versionMinor = parser_.http_minor;
    r.framing = chunked ? BodyFraming::kChunked : hasLength ? BodyFraming::kContentLength : BodyFraming::kNone;
    r.contentLength = hasLength ? parser_.content_length : 0;
    r.keepAlive = llhttp_should_keep_alive(&parser_) != 0;
    r.upgrade = parser_.upgrade != 0;
    const std::string* expect = r.headers.get(FieldId::kExpect);
    r.expectContinue = expect != nullptr && equalsIgnoreCase(*expect, "100-continue");
    if (!validateRequestHead()) return -1;
    // Refused before any of it is read (nginx's client_max_body_size). A chunked body is
    // checked chunk by chunk as its sizes arrive (onChunkHeader).
    if (limits_.maxBodyBytes > 0 && hasLength && parser_.content_length > limits_.maxBodyBytes)
      return fail(kContentTooLarge, "request body over http_max_body");
    return HPE_PAUSED;
  }
  ResponseHead& r = response_;
  r.status = parser_.status_code;
  r.versionMinor = parser_.http_minor;
  if (!validateResponseHead()) return -1;
  const bool noBody = expectNoBody_ || r.isInterim() || r.status == 204 || r.status == 304;
  r.framing = noBody ? BodyFraming::kNone
              : chunked ? BodyFraming::kChunked
              : hasLength ? BodyFraming::kContentLength
                          : BodyFraming::kUntilClose;
  r.contentLength = hasLength ? parser_.content_length : 0;
  // llhttp learns that the body is skipped (its F_SKIPBODY) only from this callback's return,
  // so until then a HEAD response without a length looks read-until-close and never kept
  // alive: the flag is set first. Found by tests/fuzz/http_response_fuzzer.
  if (noBody) parser_.flags |= F_SKIPBODY;
  r.keepAlive = llhttp_should_keep_alive(&parser_) != 0 && r.framing != BodyFraming::kUntilClose;
  // llhttp: no body, go straight to message complete (feed() still reports kHead first). 1xx
  // too, found by tests/fuzz/http_response_fuzzer: llhttp reads a body for a 1xx that has
  // Content-Length or chunked, so "103 + Content-Length: 10" ate the final response's first
  // bytes and passed them on raw; a 1xx ends at its blank line (RFC 9110 15.2).
  if (noBody) return 1;
  return HPE_PAUSED;
}

int HttpParser::onChunkHeader() {
  if (parser_.content_length == 0) {  // the last chunk: feed() scans the trailer section first
    trailerStarting_ = true;
    return HPE_PAUSED;
  }
  if (kind_ != Kind::kRequest || limits_.maxBodyBytes == 0) return 0;
  // parser_.content_length is this chunk's size; the sum cannot overflow since each is below the limit.
  if (parser_.content_length > limits_.maxBodyBytes - chunkedBodyBytes_)
    return fail(kContentTooLarge, "request body over http_max_body");
  chunkedBodyBytes_ += parser_.content_length;
  return 0;
}

int HttpParser::onBody(const char* at, size_t len) {
  // llhttp closes an open body span with an empty callback when a feed brings no bytes;
  // passing that on would write a zero-size chunk, which ends a chunked body.
  if (sink_ != nullptr && len > 0) sink_->onBodyData(at, len);
  return 0;
}

int HttpParser::onMessageComplete() {
  complete_ = true;
  inTrailer_ = false;
  return HPE_PAUSED;
}

}  // namespace weir::http
