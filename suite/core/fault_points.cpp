// The product's fault points: none (suite/core/fault_points.h).
#include "suite/core/fault_points.h"

namespace nrs::faults {

void after_step(int64_t) {}
WriteFault at_atomic_write() { return WriteFault::kNone; }

}  // namespace nrs::faults
