#pragma once
// Reading or changing what each worker owns (its caches, its counters) from outside: a function
// is posted to every worker and runs on that worker's thread, each result goes into the
// worker's own slot, and the last worker to finish posts the results, in worker order, back
// to the worker that asked. No lock, and nothing on the request path waits for it.

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "weir/proxy/runtime.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

template <class Part>
void gatherFromWorkers(Runtime& runtime, WorkerContext& origin, std::function<Part(WorkerContext&)> each,
                       std::function<void(std::vector<Part>)> done) {
  // One object per worker: a std::vector<bool> would pack the slots into shared words, and
  // two workers writing neighbouring bits would race.
  struct Slot {
    Part value{};
  };
  struct Gathering {
    std::vector<Slot> parts;
    std::atomic<size_t> left;
    std::function<Part(WorkerContext&)> each;
    std::function<void(std::vector<Part>)> done;
  };
  auto g = std::make_shared<Gathering>();
  g->parts.resize(runtime.workers.size());
  g->left = runtime.workers.size();
  g->each = std::move(each);
  g->done = std::move(done);
  WorkerContext* back = &origin;
  for (WorkerContext* w : runtime.workers) {
    w->post([g, w, back] {
      g->parts[static_cast<size_t>(w->index())].value = g->each(*w);
      // acq_rel: the last one sees every other worker's slot written.
      if (g->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        back->post([g] {
          std::vector<Part> parts;
          parts.reserve(g->parts.size());
          for (Slot& slot : g->parts) parts.push_back(std::move(slot.value));
          g->done(std::move(parts));
        });
      }
    });
  }
}

}  // namespace weir::proxy
