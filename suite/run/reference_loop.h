// The single-process reference path: the steps and epoch records of
// train_epochs (epoch_loop.h) with nothing around them: no step hooks, no
// checkpoints, no timing segments, no signals, no replicas. It is the
// training a reader can follow in one screen, and the full path is held to
// it bitwise (tests/core/test_reference_loop.cpp).
#pragma once
#include "suite/run/train_state.h"

namespace nrs {

// Trains `s` from its position to the end (or until its status is not "ok").
void train_reference(TrainState& s);

}  // namespace nrs
