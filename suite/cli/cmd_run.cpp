// `nrsbench run`: one cell from flags.
#include "suite/cli/cli_common.h"
#include "suite/core/errors.h"
#include "suite/dist/communicator.h"
#include "suite/dist/launcher.h"
#include "suite/io/file_lock.h"
#include "suite/io/results.h"
#include "suite/matrix/compute_budget.h"
#include "suite/matrix/runner.h"
#include "suite/optim/step_strategy.h"
#include "suite/run/preemption.h"
#include "suite/run/run.h"
#include "suite/run/run_options.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace nrs::cli {
namespace {

std::string default_out(const RunConfig& c) {
  return "results/runs/" + c.dataset + "/" + c.model + "/" + optim::variant_name(c.strategy) + "-s" +
         std::to_string(c.seed) + ".json";
}

// Run flags given on the command line next to --protocol, as protocol flags
// (string values; the run option table parses them again per cell).
nlohmann::json explicit_run_flags(const std::vector<std::string>& args, const po::options_description& all,
                                  const po::options_description& matrix_only) {
  nlohmann::json flags = nlohmann::json::object();
  for (const auto& o : po::command_line_parser(args).options(all).run().options) {
    if (matrix_only.find_nothrow(o.string_key, false)) continue;
    if (o.string_key == "seed") throw UsageError("--seed: a protocol runs its own \"seeds\" list");
    if (o.string_key == "checkpoint" || o.string_key == "save-weights")
      throw UsageError("--" + o.string_key + ": with --protocol each cell-seed gets its own (next to its result)");
    flags[o.string_key] = o.value.empty() ? nlohmann::json(true) : nlohmann::json(o.value.front());
  }
  return flags;
}

// --seeds 0,2: a subset of the protocol's seeds (a first pass, a rehearsal).
void select_seeds(matrix::Protocol& p, const std::string& text) {
  std::vector<uint64_t> keep;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    uint64_t s = 0;
    try {
      size_t used = 0;
      s = std::stoull(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError("--seeds '" + text + "': expected comma-separated integers");
    }
    if (std::find(p.seeds.begin(), p.seeds.end(), s) == p.seeds.end())
      throw UsageError("--seeds: " + item + " is not one of protocol " + p.name + "'s seeds");
    keep.push_back(s);
  }
  p.seeds = keep;
}

// What --dry-run --step-cost prints: device-hours per cell and in total.
struct BudgetRequest {
  std::string step_cost, json_out;
  matrix::BudgetOptions options;
};

void print_budget(const matrix::Protocol& p, const BudgetRequest& req) {
  const auto reports = matrix::read_step_cost_reports(req.step_cost);
  const auto b = matrix::estimate_budget(p, reports, req.options);
  std::printf("%s: %zu cells x %zu seeds; step costs from %s\n", p.name.c_str(), p.cells.size(), p.seeds.size(),
              req.step_cost.c_str());
  std::printf("  %-44s %8s %6s %5s %10s %12s\n", "cell", "steps/ep", "epochs", "dev", "ms/step", "device-h");
  for (const auto& c : b.cells) {
    if (c.ms_per_step)
      std::printf("  %-44s %8lld %6lld %5lld %10.2f %12.3f\n", c.cell.c_str(),
                  static_cast<long long>(c.steps_per_epoch), static_cast<long long>(c.epochs),
                  static_cast<long long>(c.devices), *c.ms_per_step, c.hours());
    else
      std::printf("  %-44s %8lld %6lld %5lld %10s %12s  no report for %s\n", c.cell.c_str(),
                  static_cast<long long>(c.steps_per_epoch), static_cast<long long>(c.epochs),
                  static_cast<long long>(c.devices), "-", "-", c.missing.c_str());
  }
  std::printf("total: %.3f device-hours over %zu seeds (training %.3f, evaluation %.3f)%s\n", b.hours(), p.seeds.size(),
              b.train_hours, b.eval_hours,
              b.unpriced > 0 ? (", " + std::to_string(b.unpriced) + " cells unpriced and not counted").c_str() : "");
  std::printf("priced: %s; not priced: %s\n", matrix::kBudgetPriced, matrix::kBudgetNotPriced);
  if (!req.json_out.empty()) write_json_atomic(req.json_out, matrix::budget_json(p, b));
}

int run_protocol(const std::string& name, const std::string& out, const std::string& shard_text,
                 const std::string& cells, const std::string& seeds, bool quiet, bool dry_run,
                 const BudgetRequest& budget, const nlohmann::json& flags, const std::string& command_line,
                 const std::vector<std::string>& args) {
  auto p = matrix::load_protocol(matrix::find_protocol(name));
  if (!cells.empty()) matrix::select_cells(p, cells);  // by the protocol's own names, before the flags below
  if (!seeds.empty()) select_seeds(p, seeds);
  matrix::apply_flags(p, flags);
  const auto shard = matrix::parse_shard(shard_text);
  if (!budget.json_out.empty() && budget.step_cost.empty()) throw UsageError("--budget-json: only with --step-cost");
  if (!budget.step_cost.empty() && !dry_run) throw UsageError("--step-cost: only with --dry-run");
  if (!budget.step_cost.empty()) {  // a plan: no results directory involved
    print_budget(p, budget);
    return 0;
  }
  if (out.empty()) throw UsageError("--out: with --protocol, give the results directory");
  if (std::filesystem::exists(out) && !std::filesystem::is_directory(out))
    throw UsageError("--out '" + out + "': with --protocol, expected a directory");
  if (dry_run) {
    const auto items = matrix::select_shard(matrix::work_items(p), shard);
    std::printf("%s: %zu cells x %zu seeds; shard %s: %zu runs\n", p.name.c_str(), p.cells.size(), p.seeds.size(),
                shard_text.c_str(), items.size());
    for (const auto& it : items) {
      const auto& c = p.cells[it.cell];
      const auto path = matrix::result_path(out, c, it.seed);
      const auto st = matrix::item_state(path, c, it.seed);
      std::printf("  %-8s %s  %s\n",
                  st == matrix::ItemState::kFinished ? "done"
                  : st == matrix::ItemState::kFailed ? "failed"
                                                     : "todo",
                  c.id.c_str(), path.c_str());
    }
    return 0;
  }
  matrix::RunnerOptions ro{run_training, out, shard, command_line, quiet, static_cast<bool>(::isatty(2))};
  ro.relaunch_args = args;
  // A rank of a data-parallel job (srun --ntasks N, or the ranks this
  // command starts for a cell with nproc > 1): see matrix/runner.h.
  const auto env = dist::read_dist_env();
  std::unique_ptr<dist::Communicator> comm;
  if (env.distributed()) {
    // One process group serves every cell of the job: the most patient
    // cell's timeout, so that none is cut short.
    double timeout_s = 0.0;
    for (const auto& c : p.cells) timeout_s = std::max(timeout_s, c.config.dist_timeout_s);
    if (p.cells.empty()) timeout_s = 300.0;
    const std::string device = p.cells.empty() ? "cpu" : p.cells.front().config.device;
    comm = dist::Communicator::connect(env, device, std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
    ro.comm = comm.get();
    if (const char* item = std::getenv("NRSBENCH_MATRIX_ITEM")) ro.only_item = item;
  }
  const auto s = matrix::run_matrix(p, ro);
  // Ranks other than 0, and the ranks of one launched cell, leave the
  // report to rank 0 and to the launching runner.
  if (env.rank != 0 || !ro.only_item.empty()) return s.preempted ? kExitPreempted : s.failed > 0 ? 1 : 0;
  if (s.preempted) {
    std::fprintf(stderr, "nrsbench run: %s; rerun the same command to resume\n", s.preempted_reason.c_str());
    return kExitPreempted;
  }
  std::printf(
      "%s shard %s: %zu runs: %zu already done, %zu ran (%zu ok, %zu diverged, %zu failed), %zu busy elsewhere; "
      "results in %s\n",
      p.name.c_str(), shard_text.c_str(), s.total, s.already_done, s.ran, s.ok, s.diverged, s.failed, s.busy,
      out.c_str());
  return s.failed > 0 ? 1 : 0;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args, const std::string& command_line) {
  RunConfig cfg;
  std::string out, protocol, shard = "0/1", cells, seeds;
  BudgetRequest budget;
  bool quiet = false, dry_run = false, no_checkpoint = false;
  po::options_description d("run options");
  add_run_options(d, cfg);
  po::options_description m("matrix options");
  // clang-format off
  m.add_options()
    ("out", po::value(&out), "results JSON path (default results/runs/<dataset>/<model>/<variant>-s<seed>.json); with --protocol: the results directory")
    ("quiet", po::bool_switch(&quiet), "no per-epoch progress output")
    ("no-checkpoint", po::bool_switch(&no_checkpoint), "write no checkpoint (default: OUT.ckpt, see --checkpoint)")
    ("protocol", po::value(&protocol), "run a protocol (name in suite/protocols, or a file): every cell x seed; run flags given here apply to every cell")
    ("shard", po::value(&shard)->default_value(shard), "with --protocol: run shard i of n (i/n, 0-based; items round-robin)")
    ("dry-run", po::bool_switch(&dry_run), "with --protocol: list the cells and their state, run nothing")
    ("seeds", po::value(&seeds), "with --protocol: only these of its seeds (comma-separated)")
    ("step-cost", po::value(&budget.step_cost), "with --dry-run: price every cell from these step-cost reports (comma-separated files of nrsbench step-cost --out) and print device-hours per cell and in total")
    ("budget-json", po::value(&budget.json_out), "with --step-cost: also write the estimate here as JSON")
    ("train-images", po::value(&budget.options.train_images)->default_value(0), "with --step-cost: the training split's size, for datasets without a published one (image folders)")
    ("test-images", po::value(&budget.options.test_images)->default_value(0), "with --step-cost: the test split's size, likewise")
    ("cells", po::value(&cells), "with --protocol: only the cells whose protocol name matches this regex (e.g. '^cifar10/wrn-28-10/200ep-basic/sam$'); the manifest lists those");
  // clang-format on
  d.add(m);
  po::variables_map vm;
  if (!parse_or_help("run", "[options]  |  --protocol P --out DIR [--shard i/n] [run flags]", d, args, vm)) return 0;
  if (!protocol.empty())
    return run_protocol(protocol, out, shard, cells, seeds, quiet, dry_run, budget, explicit_run_flags(args, d, m),
                        command_line, args);
  if (!cells.empty() || !seeds.empty()) throw UsageError("--cells/--seeds: only with --protocol");
  if (!budget.step_cost.empty()) throw UsageError("--step-cost: only with --protocol and --dry-run");
  if (vm.count("dry-run") && dry_run) throw UsageError("--dry-run: only with --protocol");
  if (!vm["shard"].defaulted()) throw UsageError("--shard: only with --protocol");

  if (out.empty()) out = default_out(cfg);
  if (!no_checkpoint && cfg.checkpoint.path.empty()) cfg.checkpoint.path = out + ".ckpt";
  const auto env = dist::read_dist_env();
  // Under torchrun/srun the job's world size is the run's unless --nproc says
  // otherwise (then the mismatch is an error, in run_training).
  if (env.distributed() && vm["nproc"].defaulted()) cfg.nproc = env.world;
  const bool launch = !env.distributed() && cfg.nproc > 1;  // we start the ranks
  if (launch || env.distributed()) cfg.validate(/*check_device=*/false);
  // Before any training: the output directory must take files (the lock is
  // one), and no other live process may be writing this result and its
  // checkpoint (two would overwrite each other's checkpoints). With replicas
  // the launcher, or else rank 0, holds it.
  std::unique_ptr<FileLock> lock;
  if (!env.parent_holds_lock && env.rank == 0) {
    lock = std::make_unique<FileLock>(out + ".lock");
    if (!lock->held()) {
      const auto pid = lock->holder();
      throw OutputError(out + ": another nrsbench process" + (pid.empty() ? "" : " (pid " + pid + ")") +
                        " is writing this result; wait for it to finish or give another --out");
    }
  }
  if (launch) {
    dist::LaunchOptions lo;
    lo.nproc = static_cast<int>(cfg.nproc);
    lo.argv = {"nrsbench", "run"};
    lo.argv.insert(lo.argv.end(), args.begin(), args.end());
    lo.env = {{dist::kParentLockVar, "1"}};
    return dist::launch_local_ranks(lo);
  }
  std::unique_ptr<dist::Communicator> comm;
  if (env.distributed())
    comm = dist::Communicator::connect(env, cfg.device,
                                       std::chrono::milliseconds(static_cast<int64_t>(cfg.dist_timeout_s * 1000)));
  RunOutput ro{command_line, Progress{static_cast<bool>(::isatty(2)), quiet}, out, std::nullopt};
  RunResult result;
  try {
    result = run_training(cfg, ro, comm.get());
  } catch (const Preempted& p) {
    if (env.rank == 0)
      std::fprintf(stderr, "nrsbench run: stopped by %s; checkpoint %s; rerun the same command to resume\n", p.what(),
                   p.checkpoint.empty() ? "(none: checkpoints are off)" : p.checkpoint.c_str());
    return kExitPreempted;
  }
  if (env.rank != 0) return result.ok() ? 0 : 1;  // rank 0 reports and writes

  const ResultFinal f = result.final.value_or(ResultFinal{});
  std::printf("\n%-14s %-14s %-22s %9s %9s %10s %9s\n", "dataset", "model", "variant", "test_acc", "test_loss", "img/s",
              "wall_s");
  std::printf("%-14s %-14s %-22s %9.4f %9.4f %10.1f %9.1f\n", cfg.dataset.c_str(), cfg.model.c_str(),
              result.variant.c_str(), f.test_acc.value_or(std::nan("")), f.test_loss.value_or(std::nan("")),
              result.throughput ? result.throughput->train_images_per_s : std::nan(""),
              result.wall_time_s.value_or(std::nan("")));
  if (result.hessian && result.hessian->contains("eigenvalues")) {
    const auto& eig = (*result.hessian)["eigenvalues"];
    std::printf("hessian top-%zu:", eig.size());
    for (const auto& e : eig) std::printf(" %.4g", e.get<double>());
    std::printf("\n");
  }
  std::printf("status: %s   results: %s\n", to_string(result.status), out.c_str());
  return result.ok() ? 0 : 1;
}

}  // namespace nrs::cli
