#pragma once
// Giving a vacated server slot back (the runtime API's `server/remove`, a server DNS no longer
// answers): every worker drops what it holds for the server before another may take the slot.

#include <functional>

#include "weir/proxy/runtime.h"

namespace weir::proxy {

class WorkerContext;

/// `server` has been vacated (Server::tryVacate): every worker closes its idle connections to
/// it and zeroes its counters, then the checks' thread lets go of it, and the slot is marked
/// free for the next server. `done` runs on `origin`'s worker once every worker has let go.
void freeVacatedSlot(Runtime& rt, WorkerContext& origin, upstream::Server& server, std::function<void()> done);

}  // namespace weir::proxy
