#include "weir/proxy/server_slots.h"

#include <vector>

#include "weir/proxy/worker_context.h"
#include "weir/proxy/worker_fanout.h"

namespace weir::proxy {

void freeVacatedSlot(Runtime& rt, WorkerContext& origin, upstream::Server& server, std::function<void()> done) {
  upstream::Server* sv = &server;
  gatherFromWorkers<bool>(
      rt, origin, [sv](WorkerContext& w) { return w.forgetServer(*sv), true; },
      [&rt, sv, done = std::move(done)](std::vector<bool>) {
        // The checks' thread may be in the middle of a check of it: free once that thread
        // has taken this in turn.
        if (rt.checker != nullptr) rt.checker->post([sv] { sv->markFree(); });
        else sv->markFree();
        done();
      });
}

}  // namespace weir::proxy
