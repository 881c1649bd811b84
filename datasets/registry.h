// Name -> factory registry for datasets (`nrsbench list` prints it).
#pragma once
#include <functional>
#include "datasets/dataset.h"

namespace nrs::data {

struct DatasetEntry {
  std::string pattern;  // as shown by `nrsbench list`, e.g. "synthetic[-CxHxW[-K]]"
  std::string description;
  std::function<bool(const std::string&)> matches;
  std::function<Dataset(const std::string& name, const DatasetOptions&)> make;
  // The published sizes of the training and test splits (before a validation
  // split is carved out), for planning without the files; 0 where they depend
  // on the files (image folders).
  int64_t train_images = 0, test_images = 0;
};

const std::vector<DatasetEntry>& dataset_registry();
// Throws DataError naming the dataset when unknown.
Dataset make_dataset(const std::string& name, const DatasetOptions& opts);
bool has_dataset(const std::string& name);
// The registry entry for `name`; throws DataError when unknown.
const DatasetEntry& dataset_entry(const std::string& name);

}  // namespace nrs::data
