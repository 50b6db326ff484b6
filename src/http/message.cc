#include "weir/http/message.h"

namespace weir::http {

void RequestHead::clear() {
  method.clear();
  target.clear();
  versionMinor = 1;
  headers.clear();
  framing = BodyFraming::kNone;
  contentLength = 0;
  keepAlive = true;
  upgrade = false;
  expectContinue = false;
}

void ResponseHead::clear() {
  status = 0;
  reason.clear();
  versionMinor = 1;
  headers.clear();
  framing = BodyFraming::kNone;
  contentLength = 0;
  keepAlive = true;
}

}  // namespace weir::http
