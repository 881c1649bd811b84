// Fashion-MNIST and MNIST from their IDX files.
#pragma once
#include "datasets/dataset.h"

namespace nrs::data {

Dataset load_fashion_mnist(const DatasetOptions& opts);
Dataset load_mnist(const DatasetOptions& opts);

}  // namespace nrs::data
