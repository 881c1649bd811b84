#include "suite/optim/strategy_fields.h"

#include <algorithm>
#include <sstream>

namespace nrs::optim {

namespace {
using S = StrategyOptions;
using B = StrategyField::Block;
const std::vector<std::string> kPerturbing = {"sam", "asam", "gnp", "looksam", "rst", "nrs"};
const std::vector<std::string> kAscending = {"sam", "asam", "gnp", "looksam", "rst"};
}  // namespace

bool StrategyField::used_by_strategy(const std::string& name) const {
  return used_by.empty() || std::find(used_by.begin(), used_by.end(), name) != used_by.end();
}

const std::vector<StrategyField>& strategy_fields() {
  static const std::vector<StrategyField> f = {
      {"optimizer", "name", &S::name, "sgd | sam | asam | gnp | looksam | rst | nrs", {}, B::kSelector},
      {"rho", "rho", &S::rho, "ascent radius (SAM, ASAM, LookSAM, RST); GNP's finite-difference step r", kAscending},
      {"asam-eta", "asam_eta", &S::asam_eta, "ASAM: T = |w| + eta", {"asam"}},
      {"gnp-alpha", "gnp_alpha", &S::gnp_alpha, "GNP: weight of the perturbed gradient (1 = SAM)", {"gnp"}},
      {"gnp-mix", "gnp_mix", &S::gnp_mix, "GNP: first-gradient term normalized (official code) | raw (paper)", {"gnp"}},
      {"looksam-k", "looksam_k", &S::looksam_k, "LookSAM: a SAM step every k steps (1 = SAM)", {"looksam"}},
      {"looksam-alpha",
       "looksam_alpha",
       &S::looksam_alpha,
       "LookSAM: weight of the reused orthogonal part",
       {"looksam"}},
      {"rst-p", "rst_p", &S::rst_p, "RST: probability of a SAM step (at the start for linear/cosine)", {"rst"}},
      {"rst-p-end", "rst_p_end", &S::rst_p_end, "RST: probability at the last step (linear/cosine)", {"rst"}},
      {"rst-schedule",
       "rst_schedule",
       &S::rst_schedule,
       "RST: constant | linear | cosine (ours: the paper's formulas are not in our reference)",
       {"rst"}},
      {"nrs-radius",
       "nrs_radius",
       &S::nrs_radius,
       "NRS: neighbourhood radius r (relative per filter for filter)",
       {"nrs"}},
      {"nrs-alpha", "nrs_alpha", &S::nrs_alpha, "NRS: weight alpha of the KL term", {"nrs"}},
      {"nrs-neighbor", "nrs_neighbor", &S::nrs_neighbor, "NRS: gradient | random | filter", {"nrs"}},
      {"nrs-samples", "nrs_samples", &S::nrs_samples, "NRS: neighbours K per step (random/filter)", {"nrs"}},
      {"nrs-target",
       "nrs_target",
       &S::nrs_target,
       "NRS: detached | full (gradient also through p_w; one more forward)",
       {"nrs"}},
      {"bn-stats", "bn_stats", &S::bn_stats, "BN running stats from: first (unperturbed pass) | both", kPerturbing},
      {"sam-m",
       "sam_m",
       &S::sam_m,
       "m-sharpness: SAM/ASAM/GNP/RST/NRS perturb each chunk of M samples with its own gradient, chunk gradients "
       "averaged (the paper's 8 devices x 32 = --sam-m 32 with batch 256; 0 = one perturbation for the batch)",
       {"sam", "asam", "gnp", "rst", "nrs"},
       B::kOfficial},
      {"bn-group",
       "bn_group",
       &S::bn_group,
       "ghost BatchNorm: batch statistics per group of G samples, one forward pass each, running stats advanced once "
       "per step by the groups' mean (per-device BN; 0 = --sam-m if set, else the whole batch)",
       {},
       B::kOfficial},
      {"shared-gates", "shared_gates", &S::shared_gates,
       "stochastic layers (ShakeDrop, dropout) draw the same gates in every pass of a step (official: one PRNG key "
       "per step)",
       kPerturbing, B::kOfficial},
      {"perturbation", "perturbation", &S::perturbation,
       "with replicas or --sam-m: local (each replica or m-chunk perturbs with its own gradient: m-sharpness) | "
       "global (one perturbation from the all-reduced gradient)",
       kPerturbing, B::kOfficial},
  };
  return f;
}

nlohmann::json strategy_config_json(const StrategyOptions& o) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : strategy_fields()) std::visit([&](auto m) { j[f.key] = o.*m; }, f.member);
  j["bn_group"] = o.bn_group_effective();  // the group size the steps use, as results have always recorded it
  return j;
}

std::string default_text(const StrategyField& f) {
  static const StrategyOptions defaults;
  std::ostringstream s;
  std::visit(
      [&](auto m) {
        if constexpr (std::is_same_v<std::decay_t<decltype(defaults.*m)>, bool>)
          s << (defaults.*m ? "on" : "off");
        else
          s << defaults.*m;
      },
      f.member);
  return s.str();
}

std::vector<std::string> copy_strategy_fields(const StrategyOptions& from, const std::vector<std::string>& flags,
                                              StrategyOptions& to) {
  std::vector<std::string> set;
  for (const auto& f : strategy_fields()) {
    if (f.block == StrategyField::Block::kSelector || !f.used_by_strategy(to.name)) continue;
    if (std::find(flags.begin(), flags.end(), f.flag) == flags.end()) continue;
    std::visit([&](auto m) { to.*m = from.*m; }, f.member);
    set.push_back(f.flag);
  }
  return set;
}

}  // namespace nrs::optim
