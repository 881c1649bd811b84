// Fault points: where the reliability tests interrupt a run at an exact
// place, through the real paths (a signal after a training step, SIGKILL in
// the middle of an atomic write). The seam is chosen when a program is
// linked: fault_points.cpp here defines every point as doing nothing, and the
// product binary `nrsbench` (like every test and benchmark) links it, so it
// carries no hook; `nrsbench-faults`, built only with the tests, links
// tests/support/fault_points_from_env.cpp instead, whose definitions take
// precedence and read NRSBENCH_TEST_SIGNAL_AT_STEP / NRSBENCH_TEST_SIGNAL_RANK
// and NRSBENCH_TEST_KILL_AT_WRITE (docs/reliability.md). Keep this file's
// definitions alone in fault_points.cpp: the linker then never pulls them
// into a program that defines them itself.
#pragma once
#include <cstdint>

namespace nrs::faults {

// After global training step `global_step` has completed, before the loop
// looks at the preemption signal.
void after_step(int64_t global_step);

// What an atomic write (write_text_atomic) does to itself: nothing, SIGKILL
// with half the bytes in its temporary file, or SIGKILL with the temporary
// file complete just before the rename. Called once per write.
enum class WriteFault { kNone, kKillHalfWritten, kKillBeforeRename };
WriteFault at_atomic_write();

}  // namespace nrs::faults
