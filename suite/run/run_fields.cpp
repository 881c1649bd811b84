#include "suite/run/run_fields.h"
#include "suite/hessian/hessian_fields.h"
#include "suite/hessian/landscape_fields.h"
#include "suite/optim/strategy_fields.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace nrs {
namespace {

using json = nlohmann::json;
using Role = RunField::Role;
using Block = RunField::Block;

// The member a field sets, as an accessor the table stores.
#define AT(member)              \
  +[](RunConfig & c) -> auto& { \
    return c.member;            \
  }

RunField F(std::string flag, std::string key, RunField::Ref ref, std::string help) {
  RunField f;
  f.flag = std::move(flag);
  f.key = std::move(key);
  f.ref = ref;
  f.help = std::move(help);
  return f;
}
// Recorded in config, set by no flag (the default is the only value).
RunField R(std::string key, RunField::Ref ref, std::string help) { return F("", std::move(key), ref, std::move(help)); }
RunField B(Block block) {
  RunField f;
  f.block = block;
  f.key = block == Block::kHessian ? "hessian" : block == Block::kLandscape ? "landscape" : "optimizer";
  return f;
}

bool fp16(const RunConfig& c) { return c.precision == "fp16"; }

// Keys of results written by earlier versions (checkpoint settings before
// they were one "checkpoint" block): operational, never part of an id.
const std::vector<std::string> kRetiredOperationalKeys = {"checkpoint_every", "checkpoint_keep", "checkpoint_path"};

json::json_pointer pointer(const std::string& key) {
  std::string p = "/" + key;
  std::replace(p.begin(), p.end(), '.', '/');
  return json::json_pointer(p);
}

std::string top_key(const std::string& key) { return key.substr(0, key.find('.')); }

const char* role_text(Role r) {
  switch (r) {
    case Role::kCell:
      return "cell";
    case Role::kReplicate:
      return "replicate";
    case Role::kOperational:
      return "operational";
  }
  return "";
}

}  // namespace

const std::vector<RunField>& run_fields() {
  // In `nrsbench run --help` order.
  static const std::vector<RunField> f = {
      F("model", "model", AT(model), "model name (nrsbench list)"),
      F("dataset", "dataset", AT(dataset), "dataset name (nrsbench list)"),
      B(Block::kStrategySelector),
      F("epochs", "epochs", AT(epochs), "training epochs"),
      F("batch-size", "batch_size", AT(batch_size), "training batch size"),
      F("eval-batch-size", "eval_batch_size", AT(eval_batch_size), "evaluation batch size"),
      F("lr", "schedule.base_lr", AT(schedule.base_lr), "peak learning rate"),
      F("momentum", "sgd.momentum", AT(sgd.momentum), "SGD momentum"),
      F("nesterov", "sgd.nesterov", AT(sgd.nesterov), "Nesterov momentum"),
      R("sgd.dampening", AT(sgd.dampening), "SGD dampening (torch.optim.SGD's; always 0 here)"),
      F("weight-decay", "sgd.weight_decay", AT(sgd.weight_decay), "weight decay coefficient"),
      F("wd-mode", "sgd.wd_mode", AT(sgd.wd_mode),
        "optimizer (the optimizer adds wd*w, torch.optim.SGD) | loss (0.5 wd ||w||^2 in the loss, "
        "google-research/sam; alias l2) | decoupled (SGDW: w -= lr*wd*w apart from gradient and momentum)")
          .alias("l2", "loss"),  // one name per meaning: ids and results say "loss"
      F("wd-exclude-bn-bias", "sgd.wd_exclude_bn_bias", AT(sgd.wd_exclude_bn_bias),
        "no weight decay on biases and BN parameters"),
      F("grad-clip", "sgd.grad_clip", AT(sgd.grad_clip), "clip the final gradient to this global norm (0 = off)"),
      F("schedule", "schedule.kind", AT(schedule.kind), "constant | step | cosine"),
      F("warmup-epochs", "schedule.warmup_epochs", AT(schedule.warmup_epochs), "linear warm-up epochs"),
      F("milestones", "schedule.milestones", AT(schedule.milestones),
        "step schedule: epochs, comma-separated (default 50%,75%)"),
      F("gamma", "schedule.gamma", AT(schedule.gamma), "step schedule factor"),
      R("schedule.final_lr", AT(schedule.final_lr), "cosine schedule floor"),
      F("label-smoothing", "label_smoothing", AT(label_smoothing), "label smoothing"),
      F("seed", "seed", AT(seed), "seed (init, data order, augmentation, neighbours)").replicate(),
      F("device", "device", AT(device), "cpu | cuda | cuda:N"),
      F("threads", "threads", AT(threads), "CPU threads (0 = all cores)").operational(),
      F("precision", "precision", AT(precision), "fp32 | bf16 | fp16 (autocast; fp16 with dynamic loss scaling)"),
      F("loss-scale-init", "loss_scale.init", AT(loss_scale.init),
        "fp16: initial loss scale, a power of two (GradScaler's 2^16)")
          .when(fp16),
      F("loss-scale-growth-interval", "loss_scale.growth_interval", AT(loss_scale.growth_interval),
        "fp16: steps without inf/NaN before the scale doubles (GradScaler's 2000)")
          .when(fp16),
      F("channels-last", "channels_last", AT(channels_last),
        "channels_last memory format for 4-D weights and batches, as Module.to(memory_format=...) makes it"),
      F("cudnn-benchmark", "cudnn_benchmark", AT(cudnn_benchmark), "cuDNN autotuning"),
      F("data-dir", "data_dir", AT(data_dir), "dataset directory (then $NRSBENCH_DATA, ../shared/data, system)")
          .operational(),
      F("val-split", "val_split", AT(val_split), "training samples held out for validation"),
      F("train-subset", "train_subset", AT(train_subset),
        "train on a fixed random subset of N samples, the same for every seed (0 = all)"),
      F("test-subset", "test_subset", AT(test_subset), "evaluate on a fixed random subset of N test samples (0 = all)"),
      F("augment", "augment.mode", AT(augment.mode), "none | basic (pad-crop + flip) | cutout"),
      F("pad", "augment.pad", AT(augment.pad), "crop padding"),
      F("pad-mode", "augment.pad_mode", AT(augment.pad_mode), "zero | reflect"),
      R("augment.flip", AT(augment.flip), "horizontal flip in basic and cutout"),
      F("cutout", "augment.cutout", AT(augment.cutout), "Cutout size"),
      F("keep-denormals", "flush_denormal", AT(flush_denormal), "do not flush denormal floats to zero on CPU (slower)")
          .invert(),
      F("deterministic", "deterministic", AT(deterministic),
        "no shuffle, no augmentation, fixed batch order (step-by-step comparison)"),
      F("init-weights", "init_weights", AT(init_weights), "load initial weights (torch.load-compatible dict)"),
      F("save-weights", "save_weights", AT(save_weights), "save final weights (torch.load-compatible dict)")
          .operational(),
      F("hessian-top-k", "hessian_top_k", AT(hessian_top_k), "top-k Hessian eigenvalues of the final model (0 = off)"),
      F("hessian-every", "hessian_every", AT(hessian_every), "also every E epochs (0 = final only)"),
      B(Block::kHessian),
      F("landscape", "landscape.enabled", AT(landscape),
        "final model: loss-landscape slices along a filter-normalised random direction and the top Hessian "
        "eigenvector"),
      B(Block::kLandscape),
      F("decode-threads", "data_loading.decode_threads", AT(decode_threads),
        "image decoding workers (image folders, the cifar10-jpeg cache)")
          .operational(),
      F("stream-prefetch-mb", "data_loading.stream_prefetch_mb", AT(stream_prefetch_mb),
        "imagefolder-stream: decoded bytes queued ahead per source (bounds memory)")
          .operational(),
      F("zero-init-residual", "zero_init_residual", AT(zero_init_residual),
        "gamma = 0 in the last BN of each residual branch (Goyal et al. 2017)"),
      F("checkpoint", "checkpoint.path", AT(checkpoint.path),
        "checkpoint file: resumed from when it exists (default OUT.ckpt; matrix: the result path + .ckpt)")
          .operational(),
      F("checkpoint-every", "checkpoint.every", AT(checkpoint.every),
        "N epochs, or Nm minutes (also mid-epoch); 0 = only at the end and on SIGTERM/SIGUSR1/SIGINT")
          .operational(),
      F("keep-checkpoint", "checkpoint.keep", AT(checkpoint.keep), "keep the checkpoint after the run finished")
          .operational(),
      B(Block::kStrategyMethod),
      // Official-code semantics (google-research/sam; docs/fidelity.md), last.
      B(Block::kStrategyOfficial),
      F("drop-last", "drop_last", AT(drop_last),
        "drop the last partial training batch of each epoch (official: drop_remainder)"),
      F("nproc", "distributed.nproc", AT(nproc),
        "data-parallel replicas: N local ranks on loopback (c10d Gloo on CPU, NCCL on CUDA), each training "
        "batch-size/N rows of every global batch; under torchrun or srun the job's world size"),
      F("dist-timeout", "dist_timeout_s", AT(dist_timeout_s),
        "seconds a rank waits for its peers (rendezvous, collectives) before every rank stops with an error")
          .operational(),
      F("cutout-mode", "augment.cutout_mode", AT(augment.cutout_mode),
        "image (own Cutout square per image) | batch (one square position for the whole batch, official)"),
  };
  return f;
}

#undef AT

const RunField& run_field(const std::string& flag) {
  for (const auto& f : run_fields())
    if (f.block == Block::kLeaf && f.flag == flag) return f;
  throw std::logic_error("no run field --" + flag);
}

json run_config_json(const RunConfig& c) {
  // The accessors take a RunConfig&; here they are only read through.
  auto& cfg = const_cast<RunConfig&>(c);
  json j = json::object();
  for (const auto& f : run_fields()) {
    switch (f.block) {
      case Block::kStrategySelector:
        j[f.key] = optim::strategy_config_json(c.strategy);  // the whole strategy table, once
        continue;
      case Block::kStrategyMethod:
      case Block::kStrategyOfficial:
        continue;
      case Block::kHessian:
        // hessian_top_k says how many; HessianOptions' own top_k is not used by a run.
        j[f.key] = c.hessian.to_json();
        j[f.key].erase("top_k");
        continue;
      case Block::kLandscape:
        // Beside landscape.enabled, a leaf of this table.
        j[f.key].update(c.landscape_opts.to_json());
        continue;
      case Block::kLeaf:
        break;
    }
    if (f.recorded_when && !f.recorded_when(c)) continue;
    std::visit(
        [&](auto ref) {
          if constexpr (!std::is_same_v<decltype(ref), std::monostate>) j[pointer(f.key)] = ref(cfg);
        },
        f.ref);
  }
  // What the run does: a deterministic run augments nothing.
  if (c.deterministic) j["augment"]["mode"] = "none";
  return j;
}

std::vector<std::string> run_id_excluded_keys() {
  std::vector<std::string> keys, in_id;
  for (const auto& f : run_fields()) {
    auto& to = f.block == Block::kLeaf && f.role != Role::kCell ? keys : in_id;
    if (std::find(to.begin(), to.end(), top_key(f.key)) == to.end()) to.push_back(top_key(f.key));
  }
  keys.erase(std::remove_if(keys.begin(), keys.end(),
                            [&](const std::string& k) { return std::count(in_id.begin(), in_id.end(), k) > 0; }),
             keys.end());
  keys.insert(keys.end(), kRetiredOperationalKeys.begin(), kRetiredOperationalKeys.end());
  return keys;
}

std::string run_field_default_text(const RunField& f) {
  static RunConfig defaults;
  std::ostringstream s;
  std::visit(
      [&](auto ref) {
        if constexpr (!std::is_same_v<decltype(ref), std::monostate>) {
          const auto& v = ref(defaults);
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>)
            s << ((v != f.inverted) ? "on" : "off");
          else if constexpr (!std::is_same_v<T, std::vector<double>>)  // a list has no default to print
            s << v;
        }
      },
      f.ref);
  return s.str();
}

std::string run_flags_markdown() {
  std::ostringstream md;
  md << "# `nrsbench run` flags\n\n"
        "Generated from the field tables (suite/run/run_fields.cpp, suite/optim/strategy_fields.cpp,\n"
        "suite/hessian/hessian_fields.cpp, suite/hessian/landscape_fields.cpp) by `nrsbench list\n"
        "flags`; a test fails when this file is not what that command prints. *Role*: `cell` fields\n"
        "define a cell (its id, docs/checking.md), `replicate` picks one of its seeds, `operational`\n"
        "says how or where it runs.\n\n"
        "| flag | config key | default | role | meaning |\n|---|---|---|---|---|\n";
  auto row = [&](const std::string& flag, const std::string& key, const std::string& def, const char* role,
                 const std::string& help) {
    std::string h = help;
    for (size_t i = h.find('|'); i != std::string::npos; i = h.find('|', i + 2)) h.replace(i, 1, "\\|");
    md << "| " << (flag.empty() ? "(none)" : "`--" + flag + "`") << " | `" << key << "` | "
       << (def.empty() ? "" : "`" + def + "`") << " | " << role << " | " << h << " |\n";
  };
  for (const auto& f : run_fields()) {
    if (f.block == Block::kLeaf) {
      row(f.flag, f.key, run_field_default_text(f), role_text(f.role), f.help);
    } else if (f.block == Block::kLandscape) {
      const hessian::LandscapeOptions defaults;
      for (const auto& lf : hessian::landscape_fields()) {
        std::ostringstream def;  // as a leaf's default prints
        std::visit(
            [&](auto m) {
              if constexpr (std::is_same_v<std::decay_t<decltype(defaults.*m)>, bool>)
                def << (defaults.*m ? "on" : "off");
              else
                def << defaults.*m;
            },
            lf.member);
        row(lf.flag, "landscape." + lf.key, def.str(), "cell", lf.help);
      }
    } else if (f.block == Block::kHessian) {
      const json defaults = hessian::HessianOptions{}.to_json();
      for (const auto& hf : hessian::hessian_fields()) {
        const json& v = defaults.at(hf.key);
        const std::string def = v.is_string() ? v.get<std::string>() : v.is_boolean() ? (v ? "on" : "off") : v.dump();
        row("hessian-" + hf.name, "hessian." + hf.key, def, "cell", hessian::hessian_field_help(hf, "hessian-"));
      }
    } else {
      const auto want = f.block == Block::kStrategySelector ? optim::StrategyField::Block::kSelector
                        : f.block == Block::kStrategyMethod ? optim::StrategyField::Block::kMethod
                                                            : optim::StrategyField::Block::kOfficial;
      for (const auto& sf : optim::strategy_fields())
        if (sf.block == want) row(sf.flag, "optimizer." + sf.key, optim::default_text(sf), "cell", sf.help);
    }
  }
  return md.str();
}

}  // namespace nrs
