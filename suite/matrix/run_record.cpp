#include "suite/matrix/run_record.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
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

RunRecord read_run_record(const json& r, const std::string& file) {
  if (!r.is_object()) throw InputError(file + ": not an nrsbench result (expected a JSON object)");
  for (const char* k : {"config", "seed", "status"})
    if (!r.contains(k))
      throw InputError(file + ": not an nrsbench result (needs schema_version, config, seed, status)");
  RunRecord rec;
  rec.file = file;
  rec.status = text(r, {"status"}, "", file);
  // The keys every result of the current schema carries (results.h), so
  // that the schema is defined in one place for writers and readers.
  for (const auto& k : rec.status == "failed" ? required_failed_result_keys() : required_result_keys())
    if (!r.contains(k))
      throw InputError(file + ": a " + rec.status + " result of schema " + std::to_string(kResultsSchemaVersion) +
                       " needs \"" + k + "\"");
  if (!r["seed"].is_number_unsigned()) throw InputError(file + ": \"seed\" must be an integer >= 0");
  rec.seed = r["seed"].get<uint64_t>();
  if (!r["config"].is_object()) throw InputError(file + ": \"config\" must be an object");
  rec.config = r["config"];
  try {
    rec.cell_id = config_id(rec.config);
  } catch (const std::exception& e) {
    throw InputError(file + ": its configuration has no cell id (" + e.what() + ")");
  }
  rec.dataset = text(r, {"config", "dataset"}, "", file);
  rec.model = text(r, {"config", "model"}, "", file);
  rec.optimizer = text(r, {"config", "optimizer", "name"}, "", file);
  if (rec.dataset.empty() || rec.model.empty() || rec.optimizer.empty())
    throw InputError(file + ": config needs \"dataset\", \"model\" and \"optimizer.name\"");
  if (r.contains("matrix") && !r["matrix"].is_object()) throw InputError(file + ": \"matrix\" must be an object");
  const std::string variant = text(r, {"variant"}, "", file);
  rec.label = text(r, {"matrix", "label"}, variant.empty() ? rec.optimizer : variant, file);
  rec.variant = variant.empty() ? rec.label : variant;
  rec.cell_name = text(r, {"matrix", "cell"}, rec.dataset + "/" + rec.model + "/" + rec.label, file);
  rec.group = text(r, {"matrix", "group"}, "", file);
  rec.protocol = text(r, {"matrix", "protocol"}, "", file);
  rec.git_commit = text(r, {"git_commit"}, "", file);
  rec.device = text(r, {"device"}, "", file);

  rec.test_acc = number(r, {"final", "test_acc"}, file);
  rec.test_loss = number(r, {"final", "test_loss"}, file);
  rec.val_acc = number(r, {"final", "val_acc"}, file);
  rec.train_loss = number(r, {"final", "train_loss"}, file);
  rec.train_eval_acc = number(r, {"final", "train_eval_acc"}, file);
  // lambda_max: the mean over the R disjoint Hessian sample subsets when the
  // run has them (--hessian-repeats), the least noisy estimate of the model's
  // value; else the one subset's. Their spread is sampling noise, apart from
  // seed noise.
  rec.lambda_max_first_subset = number(r, {"hessian", "lambda_max"}, file);
  rec.lambda_max_subsets = number(r, {"hessian", "repeats", "R"}, file);
  rec.lambda_max_sampling_sd = number(r, {"hessian", "repeats", "lambda_max", "sd"}, file);
  const double subset_mean = number(r, {"hessian", "repeats", "lambda_max", "mean"}, file);
  rec.lambda_max = std::isfinite(subset_mean) ? subset_mean : rec.lambda_max_first_subset;
  rec.lambda_max_over_lambda_5 = number(r, {"hessian", "lambda_max_over_lambda_5"}, file);
  rec.trace = number(r, {"hessian", "trace", "estimate"}, file);
  rec.train_images_per_s = number(r, {"throughput", "train_images_per_s"}, file);
  rec.ms_per_step = number(r, {"throughput", "ms_per_step"}, file);
  rec.steps = number(r, {"throughput", "steps"}, file);
  rec.wall_time_s = number(r, {"wall_time_s"}, file);

  if (r.contains("history")) {
    if (!r["history"].is_array()) throw InputError(file + ": \"history\" must be a list of epochs");
    rec.has_history = true;
    for (const auto& e : r["history"]) {
      if (!e.is_object()) throw InputError(file + ": \"history\" must hold objects");
      rec.history.push_back({number(e, {"epoch"}, file + ": history"), number(e, {"test_acc"}, file + ": history"),
                             number(e, {"epoch_time_s"}, file + ": history")});
    }
  }
  const json& d = at(r, {"hessian", "density"});
  if (!d.is_null()) rec.density = GridCurve{numbers(d, "grid"), numbers(d, "density")};
  const json& slices = at(r, {"landscape", "slices"});
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
