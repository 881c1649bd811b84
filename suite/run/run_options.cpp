#include "suite/run/run_options.h"
#include "suite/hessian/hessian_fields.h"
#include "suite/optim/strategy_fields.h"

#include <sstream>

namespace nrs {
namespace po = boost::program_options;
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
      throw std::invalid_argument(flag + " '" + s + "': expected comma-separated numbers");
    }
  }
  return out;
}

// One flag bound to `target`: a switch for a bool, else a value whose default
// prints as a person writes it (0.05, not 0.050000000000000003).
template <typename T>
void add_field_flag(po::options_description& d, const std::string& flag, T* target, const std::string& help) {
  if constexpr (std::is_same_v<T, bool>) {
    d.add_options()(flag.c_str(), po::bool_switch(target), help.c_str());
  } else {
    std::ostringstream text;
    text << *target;
    d.add_options()(flag.c_str(), po::value(target)->default_value(*target, text.str()), help.c_str());
  }
}

// The flags of one block of the strategy field table (optim/strategy_fields).
void add_strategy_flags(po::options_description& d, optim::StrategyOptions& o, optim::StrategyField::Block block) {
  for (const auto& f : optim::strategy_fields())
    if (f.block == block) std::visit([&](auto m) { add_field_flag(d, f.flag, &(o.*m), f.help); }, f.member);
}

}  // namespace

void add_strategy_override_flags(po::options_description& d, optim::StrategyOptions& o) {
  for (const auto& f : optim::strategy_fields()) {
    if (f.block == optim::StrategyField::Block::kSelector) continue;
    const std::string help = f.help + " (default: each variant's own)";
    std::visit(
        [&](auto m) {
          using T = std::decay_t<decltype(o.*m)>;
          if constexpr (std::is_same_v<T, bool>)
            d.add_options()(f.flag.c_str(), po::bool_switch(&(o.*m)), help.c_str());
          else
            d.add_options()(f.flag.c_str(), po::value<T>(&(o.*m)), help.c_str());
        },
        f.member);
  }
}

std::vector<std::string> given_strategy_flags(const po::variables_map& vm) {
  std::vector<std::string> given;
  for (const auto& f : optim::strategy_fields())
    if (f.block != optim::StrategyField::Block::kSelector && vm.count(f.flag) && !vm[f.flag].defaulted())
      given.push_back(f.flag);
  return given;
}

void add_hessian_flags(po::options_description& d, hessian::HessianOptions& h, const std::string& prefix) {
  for (const auto& f : hessian::hessian_fields())
    std::visit([&](auto m) { add_field_flag(d, prefix + f.name, &(h.*m), hessian::hessian_field_help(f, prefix)); },
               f.member);
}

void add_precision_flags(po::options_description& d, std::string& precision, optim::LossScaleOptions& loss_scale) {
  add_field_flag(d, "precision", &precision, "fp32 | bf16 | fp16 (autocast; fp16 with dynamic loss scaling)");
  d.add_options()("loss-scale-init", po::value(&loss_scale.init)->default_value(loss_scale.init, "65536"),
                  "fp16: initial loss scale, a power of two (GradScaler's 2^16)");
  add_field_flag(d, "loss-scale-growth-interval", &loss_scale.growth_interval,
                 "fp16: steps without inf/NaN before the scale doubles (GradScaler's 2000)");
}

void add_run_options(po::options_description& d, RunConfig& c, std::string& milestones) {
  // clang-format off
  d.add_options()
    ("model", po::value(&c.model)->default_value(c.model), "model name (nrsbench list)")
    ("dataset", po::value(&c.dataset)->default_value(c.dataset), "dataset name (nrsbench list)");
  // clang-format on
  add_strategy_flags(d, c.strategy, optim::StrategyField::Block::kSelector);
  // clang-format off
  d.add_options()
    ("epochs", po::value(&c.epochs)->default_value(c.epochs), "training epochs")
    ("batch-size", po::value(&c.batch_size)->default_value(c.batch_size), "training batch size")
    ("eval-batch-size", po::value(&c.eval_batch_size)->default_value(c.eval_batch_size), "evaluation batch size")
    ("lr", po::value(&c.schedule.base_lr)->default_value(c.schedule.base_lr), "peak learning rate")
    ("momentum", po::value(&c.sgd.momentum)->default_value(c.sgd.momentum), "SGD momentum")
    ("nesterov", po::bool_switch(&c.sgd.nesterov), "Nesterov momentum")
    ("weight-decay", po::value(&c.sgd.weight_decay)->default_value(c.sgd.weight_decay), "weight decay coefficient")
    ("wd-mode", po::value(&c.sgd.wd_mode)->default_value(c.sgd.wd_mode)->notifier([&c](const std::string& v) {
       if (v == "l2") c.sgd.wd_mode = "loss";  // one name per meaning: ids and results say "loss"
     }), "optimizer (the optimizer adds wd*w, torch.optim.SGD) | loss (0.5 wd ||w||^2 in the loss, google-research/sam; alias l2) | decoupled (SGDW: w -= lr*wd*w apart from gradient and momentum)")
    ("wd-exclude-bn-bias", po::bool_switch(&c.sgd.wd_exclude_bn_bias), "no weight decay on biases and BN parameters")
    ("grad-clip", po::value(&c.sgd.grad_clip)->default_value(c.sgd.grad_clip), "clip the final gradient to this global norm (0 = off)")
    ("schedule", po::value(&c.schedule.kind)->default_value(c.schedule.kind), "constant | step | cosine")
    ("warmup-epochs", po::value(&c.schedule.warmup_epochs)->default_value(c.schedule.warmup_epochs), "linear warm-up epochs")
    ("milestones", po::value(&milestones), "step schedule: epochs, comma-separated (default 50%,75%)")
    ("gamma", po::value(&c.schedule.gamma)->default_value(c.schedule.gamma), "step schedule factor")
    ("label-smoothing", po::value(&c.label_smoothing)->default_value(c.label_smoothing), "label smoothing")
    ("seed", po::value(&c.seed)->default_value(c.seed), "seed (init, data order, augmentation, neighbours)")
    ("device", po::value(&c.device)->default_value(c.device), "cpu | cuda | cuda:N")
    ("threads", po::value(&c.threads)->default_value(c.threads), "CPU threads (0 = all cores)");
  // clang-format on
  add_precision_flags(d, c.precision, c.loss_scale);
  // clang-format off
  d.add_options()
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
    ("keep-denormals", po::bool_switch()->notifier([&c](bool keep) { if (keep) c.flush_denormal = false; }),
     "do not flush denormal floats to zero on CPU (slower)")
    ("deterministic", po::bool_switch(&c.deterministic), "no shuffle, no augmentation, fixed batch order (step-by-step comparison)")
    ("init-weights", po::value(&c.init_weights), "load initial weights (torch.load-compatible dict)")
    ("save-weights", po::value(&c.save_weights), "save final weights (torch.load-compatible dict)")
    ("hessian-top-k", po::value(&c.hessian_top_k)->default_value(c.hessian_top_k), "top-k Hessian eigenvalues of the final model (0 = off)")
    ("hessian-every", po::value(&c.hessian_every)->default_value(c.hessian_every), "also every E epochs (0 = final only)");
  // clang-format on
  add_hessian_flags(d, c.hessian, "hessian-");
  // clang-format off
  d.add_options()
    ("landscape", po::bool_switch(&c.landscape), "final model: loss-landscape slices along a filter-normalised random direction and the top Hessian eigenvector")
    ("landscape-samples", po::value(&c.landscape_opts.samples)->default_value(c.landscape_opts.samples), "landscape: training samples (the Hessian's subset)")
    ("landscape-bn", po::value(&c.landscape_opts.bn)->default_value(c.landscape_opts.bn), "landscape: BatchNorm eval (stored running stats) | recompute (re-estimated at each point)")
    ("landscape-points", po::value(&c.landscape_opts.points)->default_value(c.landscape_opts.points), "landscape: points per slice")
    ("landscape-range", po::value(&c.landscape_opts.range)->default_value(c.landscape_opts.range), "landscape: alphas span [-range, range]")
    ("decode-threads", po::value(&c.decode_threads)->default_value(c.decode_threads), "image decoding workers (image folders, the cifar10-jpeg cache)")
    ("stream-prefetch-mb", po::value(&c.stream_prefetch_mb)->default_value(c.stream_prefetch_mb), "imagefolder-stream: decoded bytes queued ahead per source (bounds memory)")
    ("zero-init-residual", po::bool_switch(&c.zero_init_residual), "gamma = 0 in the last BN of each residual branch (Goyal et al. 2017)")
    ("checkpoint", po::value(&c.checkpoint.path), "checkpoint file: resumed from when it exists (default OUT.ckpt; matrix: the result path + .ckpt)")
    ("checkpoint-every", po::value(&c.checkpoint.every)->default_value(c.checkpoint.every), "N epochs, or Nm minutes (also mid-epoch); 0 = only at the end and on SIGTERM/SIGUSR1/SIGINT")
    ("keep-checkpoint", po::bool_switch(&c.checkpoint.keep), "keep the checkpoint after the run finished");
  // clang-format on
  add_strategy_flags(d, c.strategy, optim::StrategyField::Block::kMethod);
  // Official-code semantics (google-research/sam; docs/fidelity.md), last.
  add_strategy_flags(d, c.strategy, optim::StrategyField::Block::kOfficial);
  // clang-format off
  d.add_options()
    ("drop-last", po::bool_switch(&c.drop_last), "drop the last partial training batch of each epoch (official: drop_remainder)")
    ("nproc", po::value(&c.nproc)->default_value(c.nproc), "data-parallel replicas: N local ranks on loopback (c10d Gloo on CPU, NCCL on CUDA), each training batch-size/N rows of every global batch; under torchrun or srun the job's world size")
    ("dist-timeout", po::value(&c.dist_timeout_s)->default_value(c.dist_timeout_s), "seconds a rank waits for its peers (rendezvous, collectives) before every rank stops with an error")
    ("cutout-mode", po::value(&c.augment.cutout_mode)->default_value(c.augment.cutout_mode),
     "image (own Cutout square per image) | batch (one square position for the whole batch, official)");
  // clang-format on
}

void apply_milestones(RunConfig& c, const std::string& milestones) {
  if (!milestones.empty()) c.schedule.milestones = parse_list("--milestones", milestones);
}

std::vector<std::string> flags_to_args(const nlohmann::json& flags, const std::string& where) {
  if (!flags.is_object()) throw std::invalid_argument(where + ": expected an object of run flags");
  std::vector<std::string> args;
  for (const auto& [key, v] : flags.items()) {
    const std::string flag = "--" + key;
    if (v.is_boolean()) {
      if (v.get<bool>()) args.push_back(flag);  // switches: false is the default
    } else if (v.is_string()) {
      args.push_back(flag);
      args.push_back(v.get<std::string>());
    } else if (v.is_number()) {
      args.push_back(flag);
      args.push_back(v.dump());  // shortest round-trip form
    } else if (v.is_array()) {
      std::string joined;
      for (const auto& x : v) {
        if (!x.is_number()) throw std::invalid_argument(where + ": \"" + key + "\": expected a list of numbers");
        if (!joined.empty()) joined += ',';  // not "," + dump: GCC 12 C++20 -Wrestrict false positive
        joined += x.dump();
      }
      args.push_back(flag);
      args.push_back(joined);
    } else {
      throw std::invalid_argument(where + ": \"" + key + "\": expected a string, number, boolean or list of numbers");
    }
  }
  return args;
}

RunConfig config_from_flags(const nlohmann::json& flags, const std::string& where) {
  RunConfig c;
  std::string milestones;
  po::options_description d;
  add_run_options(d, c, milestones);
  const auto args = flags_to_args(flags, where);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(d).run(), vm);
    po::notify(vm);
    apply_milestones(c, milestones);
  } catch (const po::error& e) {
    throw std::invalid_argument(where + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where + ": " + e.what());
  }
  return c;
}

}  // namespace nrs
