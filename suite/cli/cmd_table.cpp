// `nrsbench table`: the comparison table of a results directory, grouped by
// dataset and model, with the seed spread and the cost ratio to SGD.
#include "suite/cli/cli_common.h"
#include "suite/results.h"

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

namespace nrs::cli {
namespace {

struct Agg {
  std::vector<double> acc, lmax, ratio5, trace, ips;
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

double stdev(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

}  // namespace

int cmd_table(const std::vector<std::string>& args) {
  std::string dir;
  po::options_description d("table options");
  d.add_options()("results", po::value(&dir)->required(), "directory of results JSON files (searched recursively)");
  po::variables_map vm;
  if (!parse_or_help("table", "--results DIR", d, args, vm)) return 0;
  if (!std::filesystem::is_directory(dir)) throw UsageError("--results '" + dir + "': not a directory");

  std::map<std::pair<std::string, std::string>, std::map<std::string, Agg>> groups;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const auto path = e.path().string();
    auto j = read_json_file(path);
    if (!j.is_object() || !j.contains("schema_version") || !j.contains("variant"))
      throw UsageError(path + ": not an nrsbench result (no schema_version/variant)");
    if (j.value("status", "") != "ok") continue;
    auto& a = groups[{j["dataset"]["name"].get<std::string>(), j["model"]["name"].get<std::string>()}]
                    [j["variant"].get<std::string>()];
    a.acc.push_back(j["final"].value("test_acc", std::nan("")));
    a.ips.push_back(j["throughput"]["train_images_per_s"].get<double>());
    if (j.contains("hessian")) {
      const auto& h = j["hessian"];
      if (h.contains("eigenvalues") && !h["eigenvalues"].empty()) a.lmax.push_back(h["eigenvalues"][0].get<double>());
      if (h.contains("lambda_max_over_lambda_5") && h["lambda_max_over_lambda_5"].is_number())
        a.ratio5.push_back(h["lambda_max_over_lambda_5"].get<double>());
      if (h.contains("trace") && h["trace"].is_object() && h["trace"].contains("estimate"))
        a.trace.push_back(h["trace"]["estimate"].get<double>());
    }
  }
  if (groups.empty()) throw UsageError("--results '" + dir + "': no finished results found");
  for (const auto& [key, variants] : groups) {
    std::printf("\n%s / %s\n", key.first.c_str(), key.second.c_str());
    std::printf("  %-26s %3s %17s %10s %9s %10s %8s\n", "variant", "n", "test_acc (mean±sd)", "lambda_max",
                "lmax/l5", "img/s", "cost/SGD");
    const double sgd_ips = variants.count("sgd") ? mean(variants.at("sgd").ips) : std::nan("");
    for (const auto& [v, a] : variants) {
      std::printf("  %-26s %3zu %8.4f ± %6.4f %10.4g %9.3g %10.1f %8.2f\n", v.c_str(), a.acc.size(), mean(a.acc),
                  stdev(a.acc), mean(a.lmax), mean(a.ratio5), mean(a.ips), sgd_ips / mean(a.ips));
    }
  }
  std::printf("\n(test accuracy of the final epoch; lambda from the final model; cost = SGD img/s / method img/s)\n");
  return 0;
}

}  // namespace nrs::cli
