#include "suite/matrix/step_cost_report.h"
#include "suite/core/errors.h"

namespace nrs::matrix {
using nlohmann::json;

namespace {

// The field `key` of `j`, which must exist and satisfy `ok`; otherwise an
// InputError naming the file, the field and what was expected.
template <class Pred>
const json& field(const json& j, const char* key, Pred ok, const char* expected, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !ok(j[key]))
    throw InputError(where + ": step-cost report needs \"" + key + "\" (" + expected + ")");
  return j[key];
}

bool is_string(const json& v) { return v.is_string(); }
bool is_count(const json& v) { return v.is_number_integer() && v.get<int64_t>() > 0; }
bool is_positive(const json& v) { return v.is_number() && v.get<double>() > 0; }

// A configuration field as the cell recorded it, or null.
const json& config_at(const json& config, const char* key) {
  static const json null;
  return config.is_object() && config.contains(key) ? config[key] : null;
}

}  // namespace

std::string device_kind(const std::string& device) {
  const auto colon = device.find(':');
  return device.substr(0, colon);
}

StepCostReport read_step_cost_report(const json& r, const std::string& file) {
  StepCostReport rep;
  rep.file = file;
  rep.model = field(r, "model", is_string, "a string", file).get<std::string>();
  rep.device_kind = device_kind(field(r, "device", is_string, "a string", file).get<std::string>());
  rep.precision = field(r, "precision", is_string, "a string", file).get<std::string>();
  rep.git_commit = field(r, "git_commit", is_string, "a string", file).get<std::string>();
  rep.time = field(r, "time", is_string, "a string", file).get<std::string>();
  rep.batch_size = field(r, "batch_size", is_count, "an integer > 0", file).get<int64_t>();
  rep.threads = field(r, "threads", is_count, "an integer > 0", file).get<int64_t>();
  rep.channels_last = field(
                          r, "channels_last", [](const json& v) { return v.is_boolean(); }, "true or false", file)
                          .get<bool>();
  const json& results = field(
      r, "results", [](const json& v) { return v.is_array(); }, "a list of per-method costs", file);
  rep.rounds = field(r, "rounds", is_count, "an integer > 0", file).get<int64_t>();
  for (const auto& e : results) {
    const std::string where = file + ": results";
    StepCostReport::Entry entry{field(e, "label", is_string, "a string", where).get<std::string>(),
                                field(e, "variant", is_string, "a string", where).get<std::string>(),
                                field(e, "ms_per_step", is_positive, "a number > 0", where).get<double>(),
                                field(e, "ratio_to_sgd", is_positive, "a number > 0", where).get<double>()};
    if (e.contains("ratio_to_sgd_range")) {
      const json& range = field(
          e, "ratio_to_sgd_range",
          [](const json& v) { return v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number(); },
          "[low, high]", where);
      entry.ratio_low = range[0].get<double>();
      entry.ratio_high = range[1].get<double>();
    }
    rep.entries.push_back(entry);
  }
  return rep;
}

json CellStepCost::to_json() const {
  const bool paired = std::isfinite(ratio_low) && std::isfinite(ratio_high);
  return {{"ms_per_step", ms_per_step},
          {"ratio_to_sgd", ratio_to_sgd},
          {"ratio_to_sgd_range", paired ? json{ratio_low, ratio_high} : json(nullptr)},
          {"ratio", paired ? "median of paired per-round ratios" : "ratio of medians (report before pairing)"},
          {"rounds", rounds},
          {"threads", threads},
          {"file", file},
          {"git_commit", git_commit},
          {"time", time}};
}

std::optional<CellStepCost> match_step_cost(const std::vector<StepCostReport>& reports, const json& config,
                                            const std::string& model, const std::string& variant) {
  const json& batch = config_at(config, "batch_size");
  const json& threads = config_at(config, "threads");
  const json& device = config_at(config, "device");
  const json& precision = config_at(config, "precision");
  const json& channels_last = config_at(config, "channels_last");
  if (!batch.is_number_integer() || !threads.is_number_integer() || !device.is_string() || !precision.is_string())
    return std::nullopt;
  std::optional<CellStepCost> found;
  for (const auto& rep : reports) {
    if (rep.model != model || rep.batch_size != batch.get<int64_t>() || rep.threads != threads.get<int64_t>() ||
        rep.device_kind != device_kind(device.get<std::string>()) || rep.precision != precision.get<std::string>() ||
        rep.channels_last != (channels_last.is_boolean() && channels_last.get<bool>()))
      continue;
    for (const auto& e : rep.entries) {
      if (e.variant != variant) continue;
      if (found)
        throw InputError(rep.file + " and " + found->file + ": both give the step cost of " + model + " " + variant +
                         " at this batch size; keep one");
      found = CellStepCost{e.ms_per_step, e.ratio_to_sgd, e.ratio_low, e.ratio_high, rep.rounds,
                           rep.file,      rep.git_commit, rep.time,    rep.threads};
    }
  }
  return found;
}

}  // namespace nrs::matrix
