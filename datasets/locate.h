// Where datasets are looked for: --data-dir, then $NRSBENCH_DATA, then
// ../shared/data next to the checkout, then system locations (Debian packages).
#pragma once
#include "datasets/dataset.h"

namespace nrs::data {

// Candidate directories for dataset `subdir`, in search order. Each root R
// contributes R/subdir and R itself (so --data-dir may point at either).
std::vector<std::string> candidate_dirs(const DatasetOptions& opts, const std::string& subdir,
                                        const std::vector<std::string>& system_dirs = {});

// First candidate holding every file in `required` (each may also exist with a
// ".gz" suffix when `allow_gz`). Throws DataError listing where it looked and
// `how_to_get` when none does.
std::string locate_dataset(const std::string& name, const DatasetOptions& opts, const std::string& subdir,
                           const std::vector<std::string>& required, const std::string& how_to_get,
                           const std::vector<std::string>& system_dirs = {}, bool allow_gz = false);

// Returns path or path + ".gz", whichever exists ("" if neither).
std::string existing_maybe_gz(const std::string& path);

}  // namespace nrs::data
