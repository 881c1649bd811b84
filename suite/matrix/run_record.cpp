#include "suite/matrix/run_record.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/run/cell_id.h"

#include <cmath>

namespace nrs::matrix {
using nlohmann::json;

namespace {

// j at `path`, or null when any step is missing or not an object. Never a
// const operator[] on a missing key: that is undefined behaviour (fuzzing
// found heap overflows from it).
const json& at(const json& j, std::initializer_list<const char*> path) {
  static const json null;
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return null;
    p = &(*p)[k];
  }
  return *p;
}

// "hessian.lambda_max" for {"hessian", "lambda_max"}. Characters appended one
// at a time: GCC 12's -Wrestrict misfires on `"." + std::string` (C++20).
std::string dotted(std::initializer_list<const char*> path) {
  std::string name;
  for (const char* k : path) {
    if (!name.empty()) name += '.';
    name += k;
  }
  return name;
}

// A number, or NaN when absent; a present value of another type is an error.
double number(const json& j, std::initializer_list<const char*> path, const std::string& where) {
  const json& v = at(j, path);
  if (v.is_null()) return std::nan("");
  if (!v.is_number()) throw InputError(where + ": \"" + dotted(path) + "\" must be a number");
  return v.get<double>();
}

// A string, or `fallback` when absent; another type is an error.
std::string text(const json& j, std::initializer_list<const char*> path, const std::string& fallback,
                 const std::string& where) {
  const json& v = at(j, path);
  if (v.is_null()) return fallback;
  if (!v.is_string()) throw InputError(where + ": \"" + dotted(path) + "\" must be a string");
  return v.get<std::string>();
}

// The numbers of an array field; empty when it is absent or holds anything
// else (a curve that cannot be drawn is left out, not an error).
std::vector<double> numbers(const json& j, const char* key) {
  std::vector<double> v;
  const json& a = at(j, {key});
  if (!a.is_array()) return v;
  for (const auto& e : a) {
    if (!e.is_number()) return {};
    v.push_back(e.get<double>());
  }
  return v;
}

}  // namespace

RunRecord read_run_record(const json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file + ": not an nrsbench result (expected a JSON object)");
  for (const char* k : {"config", "seed", "status"})
    if (!j.contains(k))
      throw InputError(file + ": not an nrsbench result (needs schema_version, config, seed, status)");
  // Every key checked, with its type, against the one schema (io/run_result.h).
  const RunResult r = read_run_result(j, file);
  RunRecord rec;
  rec.file = file;
  rec.status = to_string(r.status);
  rec.seed = r.seed;
  rec.config = r.config;
  try {
    rec.cell_id = config_id(rec.config);
  } catch (const std::exception& e) {
    throw InputError(file + ": its configuration has no cell id (" + e.what() + ")");
  }
  rec.dataset = text(rec.config, {"dataset"}, "", file + ": config");
  rec.model = text(rec.config, {"model"}, "", file + ": config");
  rec.optimizer = text(rec.config, {"optimizer", "name"}, "", file + ": config");
  if (rec.dataset.empty() || rec.model.empty() || rec.optimizer.empty())
    throw InputError(file + ": config needs \"dataset\", \"model\" and \"optimizer.name\"");
  const std::string& variant = r.variant;
  rec.label = r.matrix ? r.matrix->label : variant.empty() ? rec.optimizer : variant;
  rec.variant = variant.empty() ? rec.label : variant;
  rec.cell_name = r.matrix ? r.matrix->cell : rec.dataset + "/" + rec.model + "/" + rec.label;
  rec.group = r.matrix ? r.matrix->group : "";
  rec.protocol = r.matrix ? r.matrix->protocol : "";
  rec.git_commit = r.git_commit;
  rec.device = r.device.value_or("");

  const double nan = std::nan("");
  const ResultFinal f = r.final.value_or(ResultFinal{});
  rec.test_acc = f.test_acc.value_or(nan);
  rec.test_loss = f.test_loss.value_or(nan);
  rec.val_acc = f.val_acc.value_or(nan);
  rec.train_loss = f.train_loss.value_or(nan);
  rec.train_eval_acc = f.train_eval_acc.value_or(nan);
  // lambda_max: the mean over the R disjoint Hessian sample subsets when the
  // run has them (--hessian-repeats), the least noisy estimate of the model's
  // value; else the one subset's. Their spread is sampling noise, apart from
  // seed noise.
  // The Hessian and landscape reports and the epoch rows are documents in
  // RunResult; their numbers are read here from the file as written (the
  // schema upgrade touches neither).
  rec.lambda_max_first_subset = number(j, {"hessian", "lambda_max"}, file);
  rec.lambda_max_subsets = number(j, {"hessian", "repeats", "R"}, file);
  rec.lambda_max_sampling_sd = number(j, {"hessian", "repeats", "lambda_max", "sd"}, file);
  const double subset_mean = number(j, {"hessian", "repeats", "lambda_max", "mean"}, file);
  rec.lambda_max = std::isfinite(subset_mean) ? subset_mean : rec.lambda_max_first_subset;
  rec.lambda_max_over_lambda_5 = number(j, {"hessian", "lambda_max_over_lambda_5"}, file);
  rec.trace = number(j, {"hessian", "trace", "estimate"}, file);
  rec.train_images_per_s = r.throughput ? r.throughput->train_images_per_s : nan;
  rec.ms_per_step = r.throughput ? r.throughput->ms_per_step : nan;
  rec.steps = r.throughput ? static_cast<double>(r.throughput->steps) : nan;
  rec.wall_time_s = r.wall_time_s.value_or(nan);

  if (r.history) {
    rec.has_history = true;
    for (const auto& e : *r.history)
      rec.history.push_back({number(e, {"epoch"}, file + ": history"), number(e, {"test_acc"}, file + ": history"),
                             number(e, {"epoch_time_s"}, file + ": history")});
  }
  const json& d = at(j, {"hessian", "density"});
  if (!d.is_null()) rec.density = GridCurve{numbers(d, "grid"), numbers(d, "density")};
  const json& slices = at(j, {"landscape", "slices"});
  if (slices.is_array())
    for (const auto& s : slices)
      if (s.is_object() && s.contains("kind") && s["kind"].is_string())
        rec.slices.push_back({s["kind"].get<std::string>(), {numbers(s, "alphas"), numbers(s, "train_loss")}});
  return rec;
}

ProtocolManifest read_manifest(const json& m, const std::string& file) {
  ProtocolManifest p;
  p.name = text(m, {"name"}, "", file);
  const json& seeds = at(m, {"seeds"});
  const json& cells = at(m, {"cells"});
  if (!seeds.is_array() || !cells.is_array())
    throw InputError(file + ": a protocol manifest needs \"seeds\" and \"cells\" lists");
  for (const auto& s : seeds) {
    if (!s.is_number_unsigned()) throw InputError(file + ": \"seeds\" must hold integers >= 0");
    p.seeds.push_back(s.get<uint64_t>());
  }
  for (const auto& c : cells) {
    if (!c.is_object()) throw InputError(file + ": \"cells\" must hold objects");
    p.cells.push_back({text(c, {"name"}, "", file), text(c, {"id"}, "", file)});
    if (p.cells.back().id.empty()) throw InputError(file + ": a cell without an \"id\"");
  }
  return p;
}

}  // namespace nrs::matrix
