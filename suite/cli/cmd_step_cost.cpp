// `nrsbench step-cost`: ms per training step of each optimizer on one model
// and batch shape (CUDA events on GPUs), with ratios to SGD from one process.
#include "suite/cli/cli_common.h"
#include "suite/io/results.h"
#include "suite/run/run_options.h"
#include "suite/run/step_cost.h"

#include <cstdio>
#include <sstream>

namespace nrs::cli {

int cmd_step_cost(const std::vector<std::string>& args) {
  StepCostOptions o;
  std::string shape = "3x32x32", optimizers = "sgd,sam,nrs-gradient,nrs-random", out;
  po::options_description d("step-cost options");
  // clang-format off
  d.add_options()
    ("model", po::value(&o.model)->default_value(o.model), "model name")
    ("shape", po::value(&shape)->default_value(shape), "input CxHxW")
    ("classes", po::value(&o.classes)->default_value(o.classes), "classes")
    ("batch-size", po::value(&o.batch_size)->default_value(o.batch_size), "batch size")
    ("device", po::value(&o.device)->default_value(o.device), "cpu | cuda | cuda:N")
    ("channels-last", po::bool_switch(&o.channels_last), "channels_last memory format")
    ("optimizers", po::value(&optimizers)->default_value(optimizers), "comma-separated: sgd, sam, asam, gnp, looksam, rst, nrs-gradient, nrs-random, nrs-random-k2")
    ("warmup", po::value(&o.warmup)->default_value(o.warmup), "untimed steps per optimizer first")
    ("steps", po::value(&o.steps)->default_value(o.steps), "timed steps per round")
    ("rounds", po::value(&o.rounds)->default_value(o.rounds), "rounds (optimizers interleaved; the median of the paired per-round ratios to SGD is reported, with their range)")
    ("threads", po::value(&o.threads)->default_value(o.threads), "CPU threads (0 = all)")
    ("out", po::value(&out), "write the JSON report here");
  // clang-format on
  add_precision_flags(d, o.precision, o.loss_scale);
  po::options_description methods("method flags (each replaces the preset of every variant that reads it)");
  add_strategy_override_flags(methods, o.method_flags);
  d.add(methods);
  po::variables_map vm;
  if (!parse_or_help("step-cost", "[options]", d, args, vm)) return 0;
  o.given_method_flags = given_strategy_flags(vm);
  char x1 = 0, x2 = 0;
  std::istringstream s(shape);
  if (!(s >> o.channels >> x1 >> o.height >> x2 >> o.width) || x1 != 'x' || x2 != 'x' || !s.eof())
    throw UsageError("--shape '" + shape + "': expected CxHxW, e.g. 3x32x32");
  o.optimizers.clear();
  std::stringstream ss(optimizers);
  for (std::string item; std::getline(ss, item, ',');) o.optimizers.push_back(item);
  const auto r = measure_step_cost(o);
  std::printf("%s, batch %lld, %s%s, %s\n", o.model.c_str(), static_cast<long long>(o.batch_size), o.precision.c_str(),
              o.channels_last ? " + channels_last" : "", r.device.c_str());
  std::printf("  %-16s %10s %12s %8s\n", "optimizer", "ms/step", "images/s", "x SGD");
  for (const auto& row : r.rows)
    std::printf("  %-16s %10.3f %12.1f %8.2f\n", row.label.c_str(), row.ms_per_step(), row.images_per_s(o.batch_size),
                row.ratio_to_sgd().value_or(std::nan("")));
  if (!out.empty()) write_json_atomic(out, r.to_json());
  return 0;
}

}  // namespace nrs::cli
