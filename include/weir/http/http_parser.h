#pragma once
// The one wrapper around llhttp, used for requests (client side) and responses (server side).
// It knows no sockets: it is fed bytes and reports head / body / complete / error. Every rule
// about framing safety lives here: whatever it accepts can be re-serialised unambiguously.
//
// feed() stops (status kHead) right after a head, so the caller acts on the head before any
// body byte is delivered, and stops (kComplete) right after a message, so pipelined bytes stay
// unparsed until the caller asks for the next message. Body bytes are handed, decoded
// (de-chunked), to the BodySink during feed().

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "weir/http/message.h"

namespace weir::http {

struct ParserLimits {
  uint32_t maxHeadBytes = 16 * 1024;
  uint32_t maxHeaders = 100;
  uint32_t maxUriBytes = 8 * 1024;
  uint64_t maxBodyBytes = 0;  // a request body over it gets 413; 0 = no limit
};

/// Why a message was rejected; `status` is what a client gets for a bad request
/// (400/413/414/431), a bad response always maps to 502 elsewhere.
struct ParseError {
  int status = 0;  // 0 = no error
  std::string reason;
};

class BodySink {
 public:
  virtual void onBodyData(const char* data, size_t len) = 0;

 protected:
  ~BodySink() = default;
};

class HttpParser {
 public:
  enum class Kind { kRequest, kResponse };
  enum class Status {
    kNeedMore,  // all input consumed, message not finished
    kHead,      // a head is ready (request() / response()); call feed() again to go on
    kComplete,  // a message ended; call startNext() before feeding the next one
    kError,     // error() says why; the connection must not be reused
  };
  struct Result {
    Status status;
    size_t consumed;
  };

  HttpParser(Kind kind, ParserLimits limits, BodySink* sink);
  HttpParser(const HttpParser&) = delete;
  HttpParser& operator=(const HttpParser&) = delete;

  Result feed(const char* data, size_t len);
  /// The peer closed: completes a response read until close; anything else mid-message is an error.
  Status finishAtEof();
  /// After kComplete: prepare for the next message on the same connection.
  void startNext();
  /// Forgets everything, as for a new connection.
  void reset();
  /// For responses: the request was HEAD (or the exchange otherwise expects no body).
  void setExpectNoBody(bool v) { expectNoBody_ = v; }

  const RequestHead& request() const { return request_; }
  RequestHead& request() { return request_; }
  const ResponseHead& response() const { return response_; }
  ResponseHead& response() { return response_; }
  const ParseError& error() const { return error_; }
  /// True once any byte of the current message has been consumed.
  bool messageStarted() const { return messageStarted_; }
  bool headComplete() const { return headComplete_; }
  /// True when llhttp saw an Upgrade/CONNECT and the bytes after this message are not HTTP.
  bool upgraded() const { return parser_.upgrade != 0; }

 private:
  friend struct ParserCallbacks;
  int onMessageBegin();
  int onUrl(const char* at, size_t len);
  int onStatus(const char* at, size_t len);
  int onHeaderField(const char* at, size_t len);
  int onHeaderValue(const char* at, size_t len);
  int onHeaderValueComplete();
  int onHeadersComplete();
  int onChunkHeader();
  int onBody(const char* at, size_t len);
  int onMessageComplete();

  int fail(int status, std::string reason);
  bool validateRequestHead();
  bool validateResponseHead();
  bool checkTransferEncoding(const HeaderMap& headers);
  bool scanHeadForFolding(const char* data, size_t len);

  Kind kind_;
  ParserLimits limits_;
  BodySink* sink_;
  llhttp_t parser_{};
  RequestHead request_;
  ResponseHead response_;
  ParseError error_;
  std::string field_;
  std::string value_;
  struct FoldScan {
    bool started = false;
    bool afterLf = false;
    bool crAfterLf = false;
    bool done = false;
  } foldScan_;
  bool headComplete_ = false;
  bool messageStarted_ = false;
  bool expectNoBody_ = false;
  bool headSignalled_ = false;
  bool complete_ = false;
  size_t headBytes_ = 0;
  uint64_t chunkedBodyBytes_ = 0;  // announced by the chunk sizes so far
  bool trailerStarting_ = false;   // paused at the last chunk: scan what follows
  bool inTrailer_ = false;         // between the last chunk and the end of the message
  size_t trailerBytes_ = 0;
};

}  // namespace weir::http
