// `nrsbench run`: one cell from flags.
#include "suite/cli/cli_common.h"
#include "suite/results.h"
#include "suite/train.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace nrs::cli {
namespace {

std::vector<double> parse_list(const std::string& flag, const std::string& s) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(flag + " '" + s + "': expected comma-separated numbers");
    }
  }
  return out;
}

std::string default_out(const RunConfig& c, const std::string& variant) {
  return "results/runs/" + c.dataset + "/" + c.model + "/" + variant + "-s" + std::to_string(c.seed) + ".json";
}

}  // namespace

void add_run_options(po::options_description& d, RunConfig& c, std::string& milestones) {
  // clang-format off
  d.add_options()
    ("model", po::value(&c.model)->default_value(c.model), "model name (nrsbench list)")
    ("dataset", po::value(&c.dataset)->default_value(c.dataset), "dataset name (nrsbench list)")
    ("optimizer", po::value(&c.strategy.name)->default_value(c.strategy.name), "sgd | sam | asam | nrs")
    ("epochs", po::value(&c.epochs)->default_value(c.epochs), "training epochs")
    ("batch-size", po::value(&c.batch_size)->default_value(c.batch_size), "training batch size")
    ("eval-batch-size", po::value(&c.eval_batch_size)->default_value(c.eval_batch_size), "evaluation batch size")
    ("lr", po::value(&c.schedule.base_lr)->default_value(c.schedule.base_lr), "peak learning rate")
    ("momentum", po::value(&c.sgd.momentum)->default_value(c.sgd.momentum), "SGD momentum")
    ("nesterov", po::bool_switch(&c.sgd.nesterov), "Nesterov momentum")
    ("weight-decay", po::value(&c.sgd.weight_decay)->default_value(c.sgd.weight_decay), "weight decay coefficient")
    ("wd-mode", po::value(&c.sgd.wd_mode)->default_value(c.sgd.wd_mode), "decoupled (optimizer adds wd*w) | l2 (0.5 wd ||w||^2 in the loss)")
    ("wd-exclude-bn-bias", po::bool_switch(&c.sgd.wd_exclude_bn_bias), "no weight decay on biases and BN parameters")
    ("grad-clip", po::value(&c.sgd.grad_clip)->default_value(c.sgd.grad_clip), "clip the final gradient to this global norm (0 = off)")
    ("schedule", po::value(&c.schedule.kind)->default_value(c.schedule.kind), "constant | step | cosine")
    ("warmup-epochs", po::value(&c.schedule.warmup_epochs)->default_value(c.schedule.warmup_epochs), "linear warm-up epochs")
    ("milestones", po::value(&milestones), "step schedule: epochs, comma-separated (default 50%,75%)")
    ("gamma", po::value(&c.schedule.gamma)->default_value(c.schedule.gamma), "step schedule factor")
    ("label-smoothing", po::value(&c.label_smoothing)->default_value(c.label_smoothing), "label smoothing")
    ("rho", po::value(&c.strategy.rho)->default_value(c.strategy.rho), "SAM/ASAM radius")
    ("asam-eta", po::value(&c.strategy.asam_eta)->default_value(c.strategy.asam_eta), "ASAM eta")
    ("nrs-radius", po::value(&c.strategy.nrs_radius)->default_value(c.strategy.nrs_radius), "NRS neighbourhood radius r")
    ("nrs-alpha", po::value(&c.strategy.nrs_alpha)->default_value(c.strategy.nrs_alpha), "NRS KL weight alpha")
    ("nrs-neighbor", po::value(&c.strategy.nrs_neighbor)->default_value(c.strategy.nrs_neighbor), "gradient | random | filter")
    ("nrs-samples", po::value(&c.strategy.nrs_samples)->default_value(c.strategy.nrs_samples), "neighbours K per step (random/filter)")
    ("nrs-target", po::value(&c.strategy.nrs_target)->default_value(c.strategy.nrs_target), "detached | full")
    ("bn-stats", po::value(&c.strategy.bn_stats)->default_value(c.strategy.bn_stats), "BN running stats from: first (unperturbed pass) | both")
    ("seed", po::value(&c.seed)->default_value(c.seed), "seed (init, data order, augmentation, neighbours)")
    ("device", po::value(&c.device)->default_value(c.device), "cpu | cuda | cuda:N")
    ("threads", po::value(&c.threads)->default_value(c.threads), "CPU threads (0 = all cores)")
    ("precision", po::value(&c.precision)->default_value(c.precision), "fp32 | bf16 (autocast)")
    ("channels-last", po::bool_switch(&c.channels_last), "channels_last memory format")
    ("cudnn-benchmark", po::bool_switch(&c.cudnn_benchmark), "cuDNN autotuning")
    ("data-dir", po::value(&c.data_dir), "dataset directory (then $NRSBENCH_DATA, ../shared/data, system)")
    ("val-split", po::value(&c.val_split)->default_value(c.val_split), "training samples held out for validation")
    ("train-subset", po::value(&c.train_subset)->default_value(c.train_subset), "train on a fixed random subset of N samples, the same for every seed (0 = all)")
    ("test-subset", po::value(&c.test_subset)->default_value(c.test_subset), "evaluate on a fixed random subset of N test samples (0 = all)")
    ("augment", po::value(&c.augment.mode)->default_value(c.augment.mode), "none | basic (pad-crop + flip) | cutout")
    ("pad", po::value(&c.augment.pad)->default_value(c.augment.pad), "crop padding")
    ("pad-mode", po::value(&c.augment.pad_mode)->default_value(c.augment.pad_mode), "zero | reflect")
    ("cutout", po::value(&c.augment.cutout)->default_value(c.augment.cutout), "Cutout size")
    ("deterministic", po::bool_switch(&c.deterministic), "no shuffle, no augmentation, fixed batch order (step-by-step comparison)")
    ("init-weights", po::value(&c.init_weights), "load initial weights (torch.load-compatible dict)")
    ("save-weights", po::value(&c.save_weights), "save final weights (torch.load-compatible dict)")
    ("hessian-top-k", po::value(&c.hessian_top_k)->default_value(c.hessian_top_k), "top-k Hessian eigenvalues of the final model (0 = off)")
    ("hessian-every", po::value(&c.hessian_every)->default_value(c.hessian_every), "also every E epochs (0 = final only)")
    ("hessian-samples", po::value(&c.hessian.samples)->default_value(c.hessian.samples), "training samples for the Hessian")
    ("hessian-method", po::value(&c.hessian.method)->default_value(c.hessian.method), "lanczos | power")
    ("hessian-tol", po::value(&c.hessian.tol)->default_value(c.hessian.tol), "relative tolerance (change and residual)")
    ("hessian-bn", po::value(&c.hessian.bn_mode)->default_value(c.hessian.bn_mode), "eval | train")
    ("hessian-trace-probes", po::value(&c.hessian.trace_probes)->default_value(c.hessian.trace_probes), "Hutchinson probes (0 = no trace)");
  // clang-format on
}

int cmd_run(const std::vector<std::string>& args, const std::string& command_line) {
  RunConfig cfg;
  std::string milestones, out;
  bool quiet = false, keep_denormals = false;
  po::options_description d("run options");
  add_run_options(d, cfg, milestones);
  d.add_options()("out", po::value(&out), "results JSON path (default results/runs/<dataset>/<model>/<variant>-s<seed>.json)")(
      "quiet", po::bool_switch(&quiet), "no progress output")(
      "keep-denormals", po::bool_switch(&keep_denormals), "do not flush denormal floats to zero on CPU (slower)");
  po::variables_map vm;
  if (!parse_or_help("run", "[options]", d, args, vm)) return 0;
  cfg.flush_denormal = !keep_denormals;
  if (!milestones.empty()) cfg.schedule.milestones = parse_list("--milestones", milestones);

  Progress progress{static_cast<bool>(::isatty(2)), quiet};
  auto result = run_training(cfg, command_line, progress);
  if (out.empty()) out = default_out(cfg, result["variant"].get<std::string>());
  write_json_atomic(out, result);

  const auto& f = result["final"];
  std::printf("\n%-14s %-14s %-22s %9s %9s %10s %9s\n", "dataset", "model", "variant", "test_acc", "test_loss",
              "img/s", "wall_s");
  std::printf("%-14s %-14s %-22s %9.4f %9.4f %10.1f %9.1f\n", cfg.dataset.c_str(), cfg.model.c_str(),
              result["variant"].get<std::string>().c_str(), f.value("test_acc", std::nan("")),
              f.value("test_loss", std::nan("")), result["throughput"]["train_images_per_s"].get<double>(),
              result["wall_time_s"].get<double>());
  if (result.contains("hessian") && result["hessian"].contains("eigenvalues")) {
    std::printf("hessian top-%zu:", result["hessian"]["eigenvalues"].size());
    for (const auto& e : result["hessian"]["eigenvalues"]) std::printf(" %.4g", e.get<double>());
    std::printf("\n");
  }
  std::printf("status: %s   results: %s\n", result["status"].get<std::string>().c_str(), out.c_str());
  return result["status"] == "ok" ? 0 : 1;
}

}  // namespace nrs::cli
