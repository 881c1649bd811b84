// `nrsbench hessian`: top-k Hessian eigenvalues (and trace) of saved weights.
#include "models/registry.h"
#include "suite/cli/cli_common.h"
#include "suite/hessian/spectrum.h"
#include "suite/results.h"
#include "suite/run/process_scope.h"
#include "suite/run/setup.h"

#include <cmath>
#include <cstdio>

namespace nrs::cli {

int cmd_hessian(const std::vector<std::string>& args, const std::string& command_line) {
  hessian::HessianOptions h;
  std::string model_name, dataset, weights, out, data_dir, device_name = "cpu";
  int64_t val_split = 0, train_subset = 0;
  uint64_t data_seed = 0;
  int threads = 0;
  po::options_description d("hessian options");
  // clang-format off
  d.add_options()
    ("model", po::value(&model_name), "model name (nrsbench list); required")
    ("dataset", po::value(&dataset), "dataset name (nrsbench list); required")
    ("weights", po::value(&weights), "weights file (nrsbench run --save-weights, or torch.save of a state dict); required")
    ("samples", po::value(&h.samples)->default_value(h.samples), "training samples (fixed, seeded subset; 4096+ recommended on GPU)")
    ("top-k", po::value(&h.top_k)->default_value(h.top_k), "number of eigenvalues")
    ("method", po::value(&h.method)->default_value(h.method), "lanczos | power")
    ("which", po::value(&h.which)->default_value(h.which), "largest_algebraic | largest_magnitude")
    ("tol", po::value(&h.tol)->default_value(h.tol), "relative tolerance: change AND residual")
    ("max-iter", po::value(&h.max_iter)->default_value(h.max_iter), "Lanczos steps / power iterations per eigenvalue")
    ("seed", po::value(&h.seed)->default_value(h.seed), "sample subset, start vectors, trace probes")
    ("bn", po::value(&h.bn_mode)->default_value(h.bn_mode), "BatchNorm: eval (running stats) | train (batch stats, one batch)")
    ("batch-size", po::value(&h.batch_size)->default_value(h.batch_size), "HVP micro-batch (0 = 256 in eval, all samples in train)")
    ("graph-cache-mb", po::value(&h.graph_cache_mb)->default_value(h.graph_cache_mb), "memory for reusing first-order graphs across HVPs (0 = off)")
    ("memory-mb", po::value(&h.memory_mb)->default_value(h.memory_mb), "bound on Lanczos basis + graph cache; the basis thick-restarts when full (0 = unbounded)")
    ("trace-probes", po::value(&h.trace_probes)->default_value(h.trace_probes), "Hutchinson probes (0 = no trace)")
    ("density", po::bool_switch(&h.density), "also the spectral density (stochastic Lanczos quadrature)")
    ("density-probes", po::value(&h.density_probes)->default_value(h.density_probes), "density: Rademacher probes")
    ("density-steps", po::value(&h.density_steps)->default_value(h.density_steps), "density: Lanczos steps per probe (that many vectors must fit in --memory-mb)")
    ("density-grid", po::value(&h.density_grid)->default_value(h.density_grid), "density: grid points")
    ("density-sigma", po::value(&h.density_sigma)->default_value(h.density_sigma), "density: Gaussian broadening as a fraction of the spectrum's range")
    ("repeats", po::value(&h.repeats)->default_value(h.repeats), "lambda_max (and trace) on R disjoint subsets of --samples each: the sampling error")
    ("data-dir", po::value(&data_dir), "dataset directory")
    ("val-split", po::value(&val_split)->default_value(val_split), "as the training run: samples carved from train")
    ("data-seed", po::value(&data_seed)->default_value(data_seed), "as the training run's --seed (drives --val-split)")
    ("train-subset", po::value(&train_subset)->default_value(train_subset), "as the training run: its fixed random subset of N training samples (0 = all)")
    ("device", po::value(&device_name)->default_value(device_name), "cpu | cuda | cuda:N")
    ("threads", po::value(&threads)->default_value(threads), "CPU threads (0 = all cores)")
    ("out", po::value(&out), "results JSON path (default results/hessian/<dataset>/<model>.json)");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("hessian", "--model M --dataset D --weights FILE [options]", d, args, vm)) return 0;
  if (model_name.empty() || dataset.empty() || weights.empty())
    throw UsageError("--model, --dataset and --weights are required (see nrsbench hessian --help)");
  if (threads < 0) throw UsageError("--threads: expected an integer >= 0");
  if (val_split < 0 || train_subset < 0) throw UsageError("--val-split/--train-subset: expected >= 0");
  try {
    h.validate();
  } catch (const std::invalid_argument& e) {
    // validate() names `run`'s flags (--hessian-X); this command calls them --X.
    std::string m = e.what();
    const std::string p = "--hessian-";
    if (m.rfind(p, 0) == 0) m = "--" + m.substr(p.size());
    throw UsageError(m);
  }
  const torch::Device device(device_name);
  ProcessScope scope({threads, h.seed, /*flush_denormal=*/true, /*cudnn_benchmark=*/false, device.is_cuda()});

  // The same selection as `nrsbench run`: the samples the model trained on.
  const auto data = load_run_data({dataset, data_dir, val_split, data_seed, train_subset, 0});
  ModelSelection ms;
  ms.model = model_name;
  ms.init_weights = weights;
  auto model = make_run_model(ms, spec_of(data.info), device);

  nlohmann::json report;
  try {
    report = hessian::hessian_report(*model, data.hessian_split(h.samples * h.repeats, h.seed), data.info, h, device);
  } catch (const std::invalid_argument& e) {
    // The report names `run`'s flags (--hessian-X); this command calls them --X.
    std::string m = e.what();
    const std::string p = "--hessian-";
    if (m.rfind(p, 0) == 0) m = "--" + m.substr(p.size());
    throw UsageError(m);
  }
  nlohmann::json result;
  result["schema_version"] = kResultsSchemaVersion;
  result["kind"] = "hessian";
  result["command_line"] = command_line;
  result["model"] = {{"name", model_name}, {"trainable_parameters", models::count_trainable_parameters(*model)}};
  result["dataset"] = {{"name", data.info.name},
                       {"source", data.info.source},
                       {"train_size", data.train_size()},
                       {"train_sha256", data.train_fingerprint()}};
  result["weights"] = weights;
  result["environment"] = environment_info(device_name);
  result["start_time"] = iso8601_now();
  result["hessian"] = report;
  if (out.empty()) out = "results/hessian/" + dataset + "/" + model_name + ".json";
  write_json_atomic(out, result);

  std::printf("hessian %s on %s (%lld samples, %s, bn %s):", model_name.c_str(), dataset.c_str(),
              static_cast<long long>(report["samples_used"].get<int64_t>()), h.method.c_str(), h.bn_mode.c_str());
  for (const auto& e : report["eigenpairs"])
    std::printf(" %.6g%s", e["value"].get<double>(), e["converged"].get<bool>() ? "" : "(not converged)");
  std::printf("\n");
  if (report.contains("trace"))
    std::printf(
        "trace %.6g +- %.3g (%lld probes)\n", report["trace"]["estimate"].get<double>(),
        report["trace"]["standard_error"].is_null() ? std::nan("") : report["trace"]["standard_error"].get<double>(),
        static_cast<long long>(report["trace"]["probes"].get<int64_t>()));
  if (report.contains("density"))
    std::printf("density: %lld probes x %lld steps, %.3g s per probe (%.3g gradients), sigma %.3g\n",
                static_cast<long long>(report["density"]["probes"].get<int64_t>()),
                static_cast<long long>(report["density"]["steps"].get<int64_t>()),
                report["density"]["seconds_per_probe"].get<double>(),
                report["density"].value("gradient_equivalents_per_probe", std::nan("")),
                report["density"]["sigma"].get<double>());
  if (report.contains("repeats")) {
    const auto& lm = report["repeats"]["lambda_max"];
    std::printf("lambda_max over %lld disjoint subsets: mean %.6g, sd %.3g\n",
                static_cast<long long>(report["repeats"]["R"].get<int64_t>()), lm["mean"].get<double>(),
                lm["sd"].is_null() ? std::nan("") : lm["sd"].get<double>());
  }
  std::printf("results: %s\n", out.c_str());
  if (!report["all_converged"].get<bool>())
    std::fprintf(stderr, "warning: not every eigenpair met --tol within --max-iter; see eigenpairs[].converged\n");
  return 0;
}

}  // namespace nrs::cli
