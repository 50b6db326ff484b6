#pragma once

#include <sys/resource.h>

namespace weir::test {

/// Raises this test process's soft descriptor limit to `wanted` (for tests that hold thousands
/// of client ends; weir raises its own). False when the hard limit is lower.
bool raiseDescriptorLimit(rlim_t wanted);

}  // namespace weir::test
