// Where datasets are looked for: --data-dir, then $NRSBENCH_DATA, then a
// shared/data folder beside the checkout the binary runs from (found by
// walking up from the executable, so no source path is compiled in), then
// system locations (Debian packages).
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

// The directory of the running executable (/proc/self/exe), "" if unknown.
std::string executable_dir();
// The first `rel` found under the executable's directory or one of its
// parents (at most `levels` up), "" if none: resources of a build tree
// (suite/protocols, ../shared/data) and of an install (share/nrsbench).
std::string find_beside_executable(const std::string& rel, int levels = 4);

}  // namespace nrs::data
