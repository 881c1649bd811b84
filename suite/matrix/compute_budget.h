// A protocol's compute budget before it runs (`nrsbench run --protocol P
// --dry-run --step-cost FILE`): device-hours per cell and in total, from
// measured step-cost reports (`nrsbench step-cost`). Cluster users plan from
// it; the GPU pack sizes its training call with it.
//
// Per cell and seed: steps = epochs x steps per epoch, where an epoch is the
// dataset's published training split less the validation split (or the
// training subset), in global batches (the last partial one dropped with
// drop_last); each step costs the report's ms per step at the per-device
// batch (batch / nproc) on nproc devices. Evaluation of the validation and
// test splits after each epoch is priced as forward passes at a third of SGD's
// per-image step cost in the same report (an assumption, stated in the
// output). Hessians, landscapes, data loading, checkpoints and communication
// between replicas are not priced.
#pragma once
#include "suite/matrix/protocol.h"
#include "suite/matrix/step_cost_report.h"

#include <optional>
#include <string>
#include <vector>

namespace nrs::matrix {

struct BudgetOptions {
  int64_t train_images = 0;  // the training split's size where the registry has none (image folders)
  int64_t test_images = 0;   // the test split's size, likewise
};

struct CellBudget {
  std::string cell, id, model, variant;
  int64_t seeds = 0, epochs = 0, steps_per_epoch = 0, per_device_batch = 0, devices = 1;
  int64_t eval_images_per_epoch = 0;
  // The report's ms per step for this model, variant, device kind, precision
  // and memory format; at another batch size it is scaled per image and
  // `source` says so. Absent when no report prices the cell (`missing` says
  // what was looked for).
  std::optional<double> ms_per_step, sgd_ms_per_step;
  std::string source, missing;
  double train_hours = 0, eval_hours = 0;  // device-hours over all seeds
  double hours() const { return train_hours + eval_hours; }
};

struct Budget {
  std::vector<CellBudget> cells;
  double train_hours = 0, eval_hours = 0;
  size_t unpriced = 0;  // cells no report prices (not in the totals)
  double hours() const { return train_hours + eval_hours; }
};

// The fraction of an SGD step's cost per image that one evaluation forward
// pass is taken to cost (forward ~ 1/3 of forward + backward).
inline constexpr double kEvalForwardFraction = 1.0 / 3.0;

// What an estimate prices and leaves out, as the table and the JSON state it.
inline constexpr const char* kBudgetPriced =
    "training steps at the reports' ms per step (per image where the batch differs); evaluation forward passes at "
    "1/3 of SGD's per-image step cost";
inline constexpr const char* kBudgetNotPriced =
    "Hessians, landscapes, data loading and decoding, checkpoints, communication between replicas";

// Prices each cell of `p` (all its seeds) from `reports`. Throws
// std::invalid_argument naming the flag when a cell's dataset has no published
// size and BudgetOptions gives none.
Budget estimate_budget(const Protocol& p, const std::vector<StepCostReport>& reports, const BudgetOptions& o = {});

// The budget as JSON (kind "nrsbench-compute-budget"), with what is and is
// not priced.
nlohmann::json budget_json(const Protocol& p, const Budget& b);

// Reads the step-cost reports named in `files` (comma-separated paths);
// InputError naming the file when one is unreadable or not a report.
std::vector<StepCostReport> read_step_cost_reports(const std::string& files);

}  // namespace nrs::matrix
