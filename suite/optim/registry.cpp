#include "suite/optim/strategies.h"

namespace nrs::optim {

const std::vector<StrategyEntry>& strategy_registry() {
  static const std::vector<StrategyEntry> entries = {
      {"sgd", "w <- base_update(w, grad L(w))", {{"--bn-group", "0 (BN statistics per group of G samples)"}}},
      {"sam",
       "e = rho g/||g||; w <- base_update(w, grad L(w + e)); BN stats from the unperturbed pass",
       {{"--rho", "0.05 (ascent radius)"},
        {"--bn-stats", "first | both"},
        {"--sam-m", "0 (m-sharpness: own e per chunk of M samples)"},
        {"--bn-group", "0 (BN statistics per group; default --sam-m)"},
        {"--shared-gates", "same stochastic-layer draws in both passes"}}},
      {"asam",
       "T = |w| + eta on *weight tensors; e = rho T^2 g/||T g||; w <- base_update(w, grad L(w + e))",
       {{"--rho", "0.05 (use ~0.5 on CIFAR-10 as SamsungLabs/ASAM)"},
        {"--asam-eta", "0.01"},
        {"--bn-stats", "first | both"},
        {"--sam-m", "0 (own e per chunk of M samples)"},
        {"--bn-group", "0"},
        {"--shared-gates", "same draws in both passes"}}},
      {"gnp",
       "e = rho g/||g||; w <- base_update(w, (1 - alpha) a + alpha grad L(w + e)), a = g/||g|| (normalized) or g "
       "(raw); BN stats from the unperturbed pass",
       {{"--rho", "0.05 (finite-difference step r; the official WRN recipe uses 0.1)"},
        {"--gnp-alpha", "0.8 (alpha; 1 = SAM)"},
        {"--gnp-mix", "normalized (official code) | raw (the paper's formula)"},
        {"--bn-stats", "first | both"},
        {"--sam-m", "0 (own e and a per chunk of M samples)"},
        {"--bn-group", "0"},
        {"--shared-gates", "same draws in both passes"}}},
      {"looksam",
       "every k-th step SAM's, storing g_v = g_s - (<g_s,g>/||g||^2) g; between them w <- base_update(w, g + alpha "
       "||g||/||g_v|| g_v) (one pass)",
       {{"--rho", "0.05 (SAM radius of the full steps)"},
        {"--looksam-k", "5 (a SAM step every k steps; 1 = SAM)"},
        {"--looksam-alpha", "0.7 (weight of the reused orthogonal part)"},
        {"--bn-stats", "first | both"}}},
      {"rst",
       "each step a Bernoulli(p(t)) trial: SAM's step (e = rho g/||g||, grad L(w + e)) or SGD's; p(t) constant, linear "
       "or cosine from --rst-p to --rst-p-end",
       {{"--rho", "0.05 (SAM radius of the SAM steps)"},
        {"--rst-p", "0.5 (probability of a SAM step; at the start for linear/cosine)"},
        {"--rst-p-end", "0.5 (probability at the last step; linear/cosine)"},
        {"--rst-schedule", "constant | linear | cosine (ours: the paper's formulas are not in our reference)"},
        {"--bn-stats", "first | both"},
        {"--sam-m", "0 (own e per chunk of M samples on SAM steps)"},
        {"--bn-group", "0"},
        {"--shared-gates", "same draws in both passes"}}},
      {"nrs",
       "L = CE(w) + alpha mean_k KL(p_w || p_{w+delta_k}); neighbours gradient (r g/||g||), random (r u/||u||), "
       "filter (per-filter normalised, relative radius r)",
       {{"--nrs-radius", "0.1 (r)"},
        {"--nrs-alpha", "1.0 (alpha)"},
        {"--nrs-neighbor", "gradient | random | filter"},
        {"--nrs-samples", "1 (K; random/filter only)"},
        {"--nrs-target", "detached | full (gradient also through p_w; one more forward)"},
        {"--bn-stats", "first | both"},
        {"--sam-m", "0 (own neighbours, KL and CE per chunk of M samples)"},
        {"--bn-group", "0"},
        {"--shared-gates", "same draws in every pass"}}},
  };
  return entries;
}

std::string variant_name(const StrategyOptions& o) {
  if (o.name == "gnp") return "gnp-" + o.gnp_mix;
  if (o.name == "looksam") return "looksam-k" + std::to_string(o.looksam_k);
  if (o.name == "rst") return "rst-" + o.rst_schedule;
  if (o.name != "nrs") return o.name;
  return "nrs-" + o.nrs_neighbor + (o.nrs_neighbor == "gradient" ? "" : "-k" + std::to_string(o.nrs_samples)) + "-" +
         o.nrs_target;
}

std::unique_ptr<StepStrategy> make_strategy(const StrategyOptions& opts, models::Net& model, BaseSgd& base) {
  opts.validate();
  if (opts.name == "sgd") return std::make_unique<SgdStep>(opts, model, base);
  if (opts.name == "sam") return std::make_unique<SamStep>(opts, model, base);
  if (opts.name == "asam") return std::make_unique<AsamStep>(opts, model, base);
  if (opts.name == "gnp") return std::make_unique<GnpStep>(opts, model, base);
  if (opts.name == "looksam") return std::make_unique<LookSamStep>(opts, model, base);
  if (opts.name == "rst") return std::make_unique<RstStep>(opts, model, base);
  return std::make_unique<NrsStep>(opts, model, base);
}

}  // namespace nrs::optim
