// Learning-rate schedules, evaluated per optimizer step.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nrs {

struct ScheduleOptions {
  std::string kind = "cosine";  // constant | step | cosine
  double base_lr = 0.1;
  double warmup_epochs = 0.0;      // linear warm-up from base_lr/steps to base_lr
  std::vector<double> milestones;  // step: epochs at which lr *= gamma (default 50%, 75% of training)
  double gamma = 0.1;
  double final_lr = 0.0;  // cosine floor
  void validate() const;  // throws std::invalid_argument naming the flag
};

class LrSchedule {
 public:
  LrSchedule(ScheduleOptions o, int64_t epochs, int64_t steps_per_epoch);
  // Learning rate for 0-based global step `step`.
  double at(int64_t step) const;
  int64_t total_steps() const { return total_steps_; }

 private:
  ScheduleOptions o_;
  int64_t epochs_, spe_, warmup_steps_, total_steps_;
};

}  // namespace nrs
