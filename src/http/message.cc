#include "weir/http/message.h"

namespace weir::http {

void RequestHead::clear() {
  method.clear();
  // A long target's buffer is not kept for the connection's next request (nor by the map's slots).
  if (target.capacity() > kKeptTargetBytes) std::string().swap(target);
  else target.clear();
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
