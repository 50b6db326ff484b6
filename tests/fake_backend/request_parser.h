#pragma once
// Incremental HTTP/1.x request parser of one fake-backend connection, on top of llhttp.

#include <llhttp.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace weir::fake {

/// Besides what llhttp reports, keeps the raw head bytes exactly as received and the decoded
/// body, which echo=1 and the record file need. Stops after each head (so the connection can
/// pick the script and answer `Expect: 100-continue`) and after each message (so pipelined
/// requests are answered one at a time, in order). Strict: no llhttp leniency.
/// Owned by one connection (one worker).
class RequestParser {
 public:
  enum class Event { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct Step {
    Event event;
    size_t consumed;  // bytes of the input used; the rest must be fed again
  };

  RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  Step feed(const char* data, size_t length);

  /// Tells llhttp not to treat this request as a protocol switch (call at kHeadComplete),
  /// so parsing carries on with the next request after it.
  void ignoreUpgrade() { parser_.upgrade = 0; }

  /// True when stopped at the end of a head: feed() must be called again, with the rest of
  /// the input or with nothing, to reach the body or the end of a body-less message.
  bool pausedAtHead() const { return paused_ && pausedAt_ == Event::kHeadComplete; }

  /// True between the first byte of a request and its kMessageComplete.
  bool inMessage() const { return inMessage_; }

  std::string_view method() const { return llhttp_method_name(methodCode()); }
  bool isHeadMethod() const { return methodCode() == HTTP_HEAD; }
  std::string_view target() const { return target_; }
  std::string_view head() const { return head_; }
  std::string_view body() const { return body_; }
  bool isHttp10() const { return parser_.http_major == 1 && parser_.http_minor == 0; }
  /// llhttp's verdict from the version and Connection header; valid after kMessageComplete.
  bool keepAlive() const { return llhttp_should_keep_alive(&parser_) != 0; }
  bool expectsContinue() const { return expectContinue_; }
  bool wantsWebSocket() const { return upgradeWebSocket_; }
  std::string_view webSocketKey() const { return webSocketKey_; }
  std::string_view errorReason() const;

 private:
  static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }
  static int onMessageBegin(llhttp_t* p);
  static int onMethod(llhttp_t* p, const char* at, size_t n);
  static int onUrl(llhttp_t* p, const char* at, size_t n);
  static int onHeaderField(llhttp_t* p, const char* at, size_t n);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t n);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t n);
  static int onMessageComplete(llhttp_t* p);

  void beginMessage();
  void noteHeader();
  llhttp_method_t methodCode() const { return static_cast<llhttp_method_t>(parser_.method); }

  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  bool paused_ = false;  // llhttp stopped at a head or message end
  bool inMessage_ = false;
  bool inHead_ = false;             // copying raw bytes into head_
  const char* headFrom_ = nullptr;  // where the head starts inside the current feed
  Event pausedAt_ = Event::kNeedMore;
  std::string target_;
  std::string head_;
  std::string body_;
  std::string field_;
  std::string value_;
  std::string webSocketKey_;
  bool expectContinue_ = false;
  bool upgradeWebSocket_ = false;
};

}  // namespace weir::fake
