// `nrsbench hessian`: top-k Hessian eigenvalues (and trace) of saved weights.
#include "models/registry.h"
#include "suite/cli/cli_common.h"
#include "suite/cli/saved_model_options.h"
#include "suite/hessian/hessian_fields.h"
#include "suite/hessian/spectrum.h"
#include "suite/io/results.h"
#include "suite/run/process_scope.h"
#include "suite/run/run_options.h"
#include "suite/run/setup.h"

#include <cmath>
#include <cstdio>

namespace nrs::cli {

int cmd_hessian(const std::vector<std::string>& args, const std::string& command_line) {
  hessian::HessianOptions h;
  SavedModelInputs in;
  std::string out;
  po::options_description d("hessian options");
  in.add_to(d, "weights file (nrsbench run --save-weights, or torch.save of a state dict); required");
  // clang-format off
  d.add_options()
    ("hessian-top-k", po::value(&h.top_k)->default_value(h.top_k), "number of eigenvalues");
  // clang-format on
  add_hessian_flags(d, h, "hessian-");  // the run's --hessian-X flags (hessian/hessian_fields.h)
  d.add_options()("out", po::value(&out), "results JSON path (default results/hessian/<dataset>/<model>.json)");
  std::vector<RenamedFlag> renamed = {{"--top-k", "--hessian-top-k"}, {"--data-seed", "--seed"}};
  for (const auto& f : hessian::hessian_fields())  // --seed is now the run's (see the note below)
    if (f.name != "seed") renamed.push_back({"--" + f.name, "--hessian-" + f.name});
  refuse_renamed_flags(args, renamed, "hessian");
  po::variables_map vm;
  if (!parse_or_help("hessian", "--model M --dataset D --weights FILE [options]", d, args, vm)) return 0;
  in.validate("hessian");
  if (!vm["seed"].defaulted() && vm["hessian-seed"].defaulted())
    std::fprintf(stderr,
                 "nrsbench hessian: note: --seed is the training run's seed (its --val-split and --train-subset), as "
                 "in nrsbench run; the sample subset's seed is --hessian-seed (here %llu)\n",
                 static_cast<unsigned long long>(h.seed));
  try {
    h.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const torch::Device device(in.run.device);
  ProcessScope scope({in.run.threads, h.seed, /*flush_denormal=*/true, /*cudnn_benchmark=*/false, device.is_cuda()});

  // The same selection as `nrsbench run`: the samples the model trained on.
  const auto data = in.load_data();
  auto model = in.load_model(data, in.weights);

  hessian::HessianReport report;
  try {
    report = hessian::hessian_report(*model, data.hessian_split(h.samples * h.repeats, h.seed), data.info, h, device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  nlohmann::json result;
  result["schema_version"] = kResultsSchemaVersion;
  result["kind"] = "hessian";
  result["command_line"] = command_line;
  result["model"] = {{"name", in.run.model}, {"trainable_parameters", models::count_trainable_parameters(*model)}};
  result["dataset"] = {{"name", data.info.name},
                       {"source", data.info.source},
                       {"train_size", data.train_size()},
                       {"train_sha256", data.train_fingerprint()}};
  result["weights"] = in.weights;
  result["environment"] = environment_info(in.run.device);
  result["start_time"] = iso8601_now();
  result["hessian"] = report.to_json();
  if (out.empty()) out = "results/hessian/" + in.run.dataset + "/" + in.run.model + ".json";
  write_json_atomic(out, result);

  std::printf("hessian %s on %s (%lld samples, %s, bn %s):", in.run.model.c_str(), in.run.dataset.c_str(),
              static_cast<long long>(report.samples_used), h.method.c_str(), h.bn_mode.c_str());
  for (const auto& e : report.eigenpairs) std::printf(" %.6g%s", e.value, e.converged ? "" : "(not converged)");
  std::printf("\n");
  if (report.trace)
    std::printf("trace %.6g +- %.3g (%lld probes)\n", report.trace->estimate, report.trace->standard_error,
                static_cast<long long>(report.trace->probes));
  if (report.density) {
    const auto d = report.density->to_json();
    std::printf("density: %lld probes x %lld steps, %.3g s per probe (%.3g gradients), sigma %.3g\n",
                static_cast<long long>(d["probes"].get<int64_t>()), static_cast<long long>(report.density->steps),
                report.density->seconds_per_probe, d.value("gradient_equivalents_per_probe", std::nan("")),
                report.density->sigma);
  }
  if (report.repeats) {
    const auto lm = report.repeats->lambda_max.to_json();
    std::printf("lambda_max over %lld disjoint subsets: mean %.6g, sd %.3g\n",
                static_cast<long long>(report.repeats->subsets), lm["mean"].get<double>(),
                lm["sd"].is_null() ? std::nan("") : lm["sd"].get<double>());
  }
  std::printf("results: %s\n", out.c_str());
  if (!report.all_converged())
    std::fprintf(stderr, "warning: not every eigenpair met --tol within --max-iter; see eigenpairs[].converged\n");
  return 0;
}

}  // namespace nrs::cli
