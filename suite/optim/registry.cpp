#include "suite/optim/strategies.h"
#include "suite/optim/strategy_fields.h"

namespace nrs::optim {

const std::vector<StrategyEntry>& strategy_registry() {
  static const std::vector<StrategyEntry> entries = [] {
    std::vector<StrategyEntry> v = {
        {"sgd", "w <- base_update(w, grad L(w))", {}},
        {"sam", "e = rho g/||g||; w <- base_update(w, grad L(w + e)); BN stats from the unperturbed pass", {}},
        {"asam",
         "T = |w| + eta on *weight tensors; e = rho T^2 g/||T g||; w <- base_update(w, grad L(w + e)) (use rho ~0.5 "
         "on CIFAR-10 as SamsungLabs/ASAM)",
         {}},
        {"gnp",
         "e = rho g/||g||; w <- base_update(w, (1 - alpha) a + alpha grad L(w + e)), a = g/||g|| (normalized) or g "
         "(raw); BN stats from the unperturbed pass (the official WRN recipe: rho 0.1)",
         {}},
        {"looksam",
         "every k-th step SAM's, storing g_v = g_s - (<g_s,g>/||g||^2) g; between them w <- base_update(w, g + alpha "
         "||g||/||g_v|| g_v) (one pass)",
         {}},
        {"rst",
         "each step a Bernoulli(p(t)) trial: SAM's step (e = rho g/||g||, grad L(w + e)) or SGD's; p(t) constant, "
         "linear or cosine from --rst-p to --rst-p-end",
         {}},
        {"nrs",
         "L = CE(w) + alpha mean_k KL(p_w || p_{w+delta_k}); neighbours gradient (r g/||g||), random (r u/||u||), "
         "filter (per-filter normalised, relative radius r)",
         {}},
    };
    // Each method's flags: the field table's entries that it reads.
    for (auto& e : v)
      for (const auto& f : strategy_fields())
        if (f.block != StrategyField::Block::kSelector && f.used_by_strategy(e.name))
          e.params.emplace_back("--" + f.flag, default_text(f) + "  " + f.help);
    return v;
  }();
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
