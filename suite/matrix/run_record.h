// One results file as aggregation, the checker and the leaderboard read it:
// every field they use, parsed once with its type checked. A misspelt field
// is a compile error here, not a silent null three stages later, and a bad
// file is one error that names it.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs::matrix {

struct EpochRecord {
  double epoch = 0, test_acc = 0, epoch_time_s = 0;  // NaN when the epoch did not record it
};

// A curve sampled on a grid: the Hessian spectral density (grid, density) or
// a loss slice (alphas, train_loss). Empty when the run's arrays held
// anything but numbers.
struct GridCurve {
  std::vector<double> x, y;
};

struct SliceRecord {
  std::string kind;  // "random", "eigenvector", "interpolation", ...
  GridCurve curve;   // alphas -> train_loss
};

struct RunRecord {
  std::string file;  // path relative to the results directory
  std::string status;
  uint64_t seed = 0;
  // The resolved configuration as written: hashed into the cell id and
  // matched field by field against baseline entries, so it stays a document.
  nlohmann::json config;
  std::string cell_id;  // config_id(config)
  std::string dataset, model, optimizer;
  // The matrix runner's names (empty for a lone `nrsbench run`); label and
  // variant fall back as the README's "Aggregation" says.
  std::string label, variant, cell_name, group, protocol;
  std::string git_commit, device;

  // Final-epoch and final-model numbers; NaN when the run has none.
  double test_acc = 0, test_loss = 0, val_acc = 0, train_loss = 0;
  // The final model on every training sample in eval mode, no augmentation
  // (NaN for results that predate it, and for streamed training data).
  double train_eval_acc = 0;
  // lambda_max: mean over the R Hessian sample subsets when there are
  // several (lambda_max_subsets = R), else the first subset's value.
  double lambda_max = 0, lambda_max_first_subset = 0, lambda_max_subsets = 0, lambda_max_sampling_sd = 0;
  double lambda_max_over_lambda_5 = 0, trace = 0;
  double train_images_per_s = 0, ms_per_step = 0, steps = 0, wall_time_s = 0;

  bool has_history = false;
  std::vector<EpochRecord> history;
  std::optional<GridCurve> density;  // hessian.density
  std::vector<SliceRecord> slices;   // landscape.slices, in file order

  bool ok() const { return status == "ok"; }
};

// `result` brought to the current schema (upgrade_result). Throws InputError
// naming `file` when a field is missing or of another type.
RunRecord read_run_record(const nlohmann::json& result, const std::string& file);

// The cells and seeds a protocol-<name>.json manifest promises.
struct ManifestCell {
  std::string name, id;
};
struct ProtocolManifest {
  std::string name;
  std::vector<uint64_t> seeds;
  std::vector<ManifestCell> cells;
};
ProtocolManifest read_manifest(const nlohmann::json& manifest, const std::string& file);

}  // namespace nrs::matrix
