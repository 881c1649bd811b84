// `nrsbench landscape`: loss-landscape slices of saved weights (landscape.h).
#include "models/registry.h"
#include "suite/cli/cli_common.h"
#include "suite/cli/saved_model_options.h"
#include "suite/hessian/landscape.h"
#include "suite/hessian/spectrum.h"
#include "suite/io/results.h"
#include "suite/run/process_scope.h"
#include "suite/run/run_options.h"
#include "suite/run/setup.h"

#include <cstdio>

namespace nrs::cli {

int cmd_landscape(const std::vector<std::string>& args, const std::string& command_line) {
  hessian::LandscapeOptions lo;
  hessian::HessianOptions sample;  // only its seed: the Hessian's sample subset
  SavedModelInputs in;
  std::string to, out;
  po::options_description d("landscape options");
  in.add_to(d, "weights file (nrsbench run --save-weights); required");
  add_hessian_flags(d, sample, "hessian-", {"seed"});
  add_landscape_flags(d, lo);  // the run's --landscape-X flags (hessian/landscape_fields.h)
  // clang-format off
  d.add_options()
    ("to", po::value(&to), "second weights file: also the interpolation (1 - t) w + t w2, t in [0, 1]")
    ("grid2d", po::value(&lo.grid2d)->default_value(lo.grid2d), "also an N x N grid over two filter-normalised directions (0 = off)")
    ("no-eigenvector", po::bool_switch()->notifier([&lo](bool off) { if (off) lo.top_eigenvector = false; }), "skip the top-Hessian-eigenvector slice")
    ("out", po::value(&out), "results JSON path (default results/landscape/<dataset>/<model>.json)");
  // clang-format on
  refuse_renamed_flags(args, {{"--sample-seed", "--hessian-seed"}, {"--data-seed", "--seed"}}, "landscape");
  po::variables_map vm;
  if (!parse_or_help("landscape",
                     "--model M --dataset D --weights FILE [--to FILE2] [options]\n"
                     "--seed is the training run's, as in nrsbench run: it selects its samples and draws the random "
                     "directions (as run --landscape does)",
                     d, args, vm))
    return 0;
  in.validate("landscape");
  try {
    lo.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const uint64_t seed = in.run.seed, sample_seed = sample.seed;
  const torch::Device device(in.run.device);
  ProcessScope scope({in.run.threads, seed, /*flush_denormal=*/true, /*cudnn_benchmark=*/false, device.is_cuda()});

  const auto data = in.load_data();
  auto model = in.load_model(data, in.weights);
  models::NetPtr other;
  if (!to.empty()) other = in.load_model(data, to);
  const auto split = data.hessian_split(lo.samples, sample_seed);
  const int64_t n = std::min(lo.samples, split.size());
  auto [x, y] = hessian::hessian_inputs(*model, split, data.info, n, sample_seed, 0, device);
  const auto report = hessian::landscape(*model, x, y, lo, seed, other ? other.get() : nullptr);

  nlohmann::json result = {
      {"kind", "nrsbench-landscape"},
      {"schema", 1},
      {"weights", in.weights},
      {"command_line", command_line},
      {"model", {{"name", in.run.model}}},
      {"dataset",
       {{"name", data.info.name}, {"train_size", data.train_size()}, {"train_sha256", data.train_fingerprint()}}},
      {"seed", seed},
      {"sample_seed", sample_seed},
      {"environment", environment_info(in.run.device)},
      {"start_time", iso8601_now()}};
  if (!to.empty()) result["to"] = to;
  const auto land = report.to_json();
  for (const auto& [k, v] : land.items()) result[k] = v;
  if (out.empty()) out = "results/landscape/" + in.run.dataset + "/" + in.run.model + ".json";
  write_json_atomic(out, result);

  for (const auto& s : report.slices) {
    const auto& l = s.train_loss;
    const auto& a = s.alphas;
    std::printf("%-16s loss %.4g at %g, %.4g at %g, %.4g at %g\n", s.kind.c_str(), l.front(), a.front(),
                l[l.size() / 2], a[a.size() / 2], l.back(), a.back());
  }
  std::printf("landscape: %lld evaluations on %lld samples, %.3g s = %.3g gradients (one gradient %.3g s)\n",
              static_cast<long long>(report.evaluations), static_cast<long long>(n), report.seconds,
              report.gradient_seconds > 0.0 ? report.seconds / report.gradient_seconds : 0.0, report.gradient_seconds);
  std::printf("results: %s\n", out.c_str());
  return 0;
}

}  // namespace nrs::cli
