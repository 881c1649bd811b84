// Precompiled header shared by every target: LibTorch's headers dominate
// compile time (~20 s per translation unit without it).
#pragma once
#include <torch/torch.h>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
