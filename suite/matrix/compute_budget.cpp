#include "suite/matrix/compute_budget.h"
#include "datasets/registry.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/optim/step_strategy.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace nrs::matrix {
namespace {

constexpr double kMsPerHour = 3.6e6;

// The report entry for this cell's model, variant, device kind, precision and
// memory format, preferring the report measured at the cell's per-device
// batch size; at another batch size the cost is scaled per image (one such
// report, the nearest batch size, is taken).
struct Priced {
  double ms = 0, sgd_ms = 0;
  std::string source;
};

std::optional<Priced> price(const std::vector<StepCostReport>& reports, const RunConfig& c, const std::string& variant,
                            int64_t batch) {
  const StepCostReport* best = nullptr;
  const StepCostReport::Entry* best_entry = nullptr;
  for (const auto& rep : reports) {
    if (rep.model != c.model || rep.device_kind != device_kind(c.device) || rep.precision != c.precision ||
        rep.channels_last != c.channels_last)
      continue;
    for (const auto& e : rep.entries) {
      if (e.variant != variant) continue;
      const auto distance = [batch](const StepCostReport& r) { return std::abs(r.batch_size - batch); };
      if (best == nullptr || distance(rep) < distance(*best)) {
        best = &rep;
        best_entry = &e;
      }
    }
  }
  if (best == nullptr) return std::nullopt;
  const double scale = static_cast<double>(batch) / static_cast<double>(best->batch_size);
  Priced p{best_entry->ms_per_step * scale, best_entry->ms_per_step / best_entry->ratio_to_sgd * scale, best->file};
  if (best->batch_size != batch) p.source += " (batch " + std::to_string(best->batch_size) + ", scaled per image)";
  return p;
}

int64_t published_or(int64_t published, int64_t given, const std::string& dataset, const char* flag) {
  if (given > 0) return given;
  if (published > 0) return published;
  throw std::invalid_argument(std::string("--") + flag + ": dataset " + dataset +
                              " has no published size (its files decide it); give the number of images");
}

}  // namespace

Budget estimate_budget(const Protocol& p, const std::vector<StepCostReport>& reports, const BudgetOptions& o) {
  Budget b;
  const auto seeds = static_cast<int64_t>(p.seeds.size());
  for (const auto& cell : p.cells) {
    const RunConfig& c = cell.config;
    const auto& entry = data::dataset_entry(c.dataset);
    const int64_t train_split = published_or(entry.train_images, o.train_images, c.dataset, "train-images");
    const int64_t test_split = published_or(entry.test_images, o.test_images, c.dataset, "test-images");
    int64_t train = std::max<int64_t>(0, train_split - c.val_split);
    if (c.train_subset > 0) train = std::min(train, c.train_subset);
    const int64_t test = c.test_subset > 0 ? std::min(test_split, c.test_subset) : test_split;

    CellBudget cb;
    cb.cell = cell.name;
    cb.id = cell.id;
    cb.model = c.model;
    cb.variant = optim::variant_name(c.strategy);
    cb.seeds = seeds;
    cb.epochs = c.epochs;
    cb.steps_per_epoch = c.drop_last ? train / c.batch_size : (train + c.batch_size - 1) / c.batch_size;
    cb.devices = std::max<int64_t>(1, c.nproc);
    cb.per_device_batch = c.batch_size / cb.devices;
    cb.eval_images_per_epoch = c.val_split + test;
    if (const auto priced = price(reports, c, cb.variant, cb.per_device_batch)) {
      cb.ms_per_step = priced->ms;
      cb.sgd_ms_per_step = priced->sgd_ms;
      cb.source = priced->source;
      const double steps = static_cast<double>(cb.steps_per_epoch * cb.epochs * seeds);
      cb.train_hours = steps * priced->ms * static_cast<double>(cb.devices) / kMsPerHour;
      // Every epoch evaluates validation and test; the last also the training split.
      const double eval_images = static_cast<double>((cb.eval_images_per_epoch * cb.epochs + train) * seeds);
      const double ms_per_image = priced->sgd_ms / static_cast<double>(cb.per_device_batch) * kEvalForwardFraction;
      cb.eval_hours = eval_images * ms_per_image / kMsPerHour;
      b.train_hours += cb.train_hours;
      b.eval_hours += cb.eval_hours;
    } else {
      cb.missing = c.model + " " + cb.variant + " on " + device_kind(c.device) + ", " + c.precision +
                   (c.channels_last ? " + channels_last" : "");
      ++b.unpriced;
    }
    b.cells.push_back(std::move(cb));
  }
  return b;
}

nlohmann::json budget_json(const Protocol& p, const Budget& b) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& c : b.cells) {
    nlohmann::json j = {{"cell", c.cell},
                        {"id", c.id},
                        {"model", c.model},
                        {"variant", c.variant},
                        {"seeds", c.seeds},
                        {"epochs", c.epochs},
                        {"steps_per_epoch", c.steps_per_epoch},
                        {"per_device_batch", c.per_device_batch},
                        {"devices", c.devices},
                        {"eval_images_per_epoch", c.eval_images_per_epoch}};
    if (c.ms_per_step) {
      j["ms_per_step"] = *c.ms_per_step;
      j["step_cost_source"] = c.source;
      j["train_device_hours"] = c.train_hours;
      j["eval_device_hours"] = c.eval_hours;
      j["device_hours"] = c.hours();
    } else {
      j["unpriced"] = "no step-cost report for " + c.missing;
    }
    cells.push_back(j);
  }
  return {{"kind", "nrsbench-compute-budget"},
          {"protocol", p.name},
          {"protocol_sha256", p.sha256},
          {"cells", cells},
          {"train_device_hours", b.train_hours},
          {"eval_device_hours", b.eval_hours},
          {"device_hours", b.hours()},
          {"unpriced_cells", b.unpriced},
          {"priced", kBudgetPriced},
          {"not_priced", kBudgetNotPriced}};
}

std::vector<StepCostReport> read_step_cost_reports(const std::string& files) {
  std::vector<StepCostReport> out;
  std::stringstream ss(files);
  for (std::string f; std::getline(ss, f, ',');) {
    if (f.empty()) continue;
    nlohmann::json j;
    try {
      j = read_json_file(f);
    } catch (const std::exception& e) {
      throw InputError(std::string("--step-cost: ") + e.what());
    }
    if (!j.is_object() || j.value("kind", "") != "nrsbench-step-cost")
      throw InputError(
          f + ": not a step-cost report (expected \"kind\": \"nrsbench-step-cost\", from nrsbench step-cost --out)");
    out.push_back(read_step_cost_report(j, f));
  }
  if (out.empty()) throw InputError("--step-cost '" + files + "': expected one or more report files, comma-separated");
  return out;
}

}  // namespace nrs::matrix
