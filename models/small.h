// The small models for CPU runs and tests.
#pragma once
#include "models/net.h"

namespace nrs::models {

// mlp: flatten -> Linear(in, hidden) -> ReLU -> Linear(hidden, hidden) -> ReLU -> Linear(hidden, classes).
NetPtr make_mlp(const ModelSpec& spec, int64_t hidden = 256);
// small-cnn: [conv3x3(c1)-BN-ReLU-maxpool2] -> [conv3x3(c2)-BN-ReLU-maxpool2] ->
// Linear(c2*H/4*W/4, 128) -> ReLU -> Linear(128, classes). Default c1=32, c2=64.
NetPtr make_small_cnn(const ModelSpec& spec, int64_t c1 = 32, int64_t c2 = 64);

}  // namespace nrs::models
