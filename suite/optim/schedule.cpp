#include "suite/optim/schedule.h"

#include <cmath>
#include <stdexcept>

namespace nrs {

void ScheduleOptions::validate() const {
  if (kind != "constant" && kind != "step" && kind != "cosine")
    throw std::invalid_argument("--schedule '" + kind + "': expected constant, step or cosine");
  if (!(base_lr > 0) || !std::isfinite(base_lr)) throw std::invalid_argument("--lr: expected a positive number");
  if (warmup_epochs < 0) throw std::invalid_argument("--warmup-epochs: expected a value >= 0");
  if (gamma <= 0) throw std::invalid_argument("--gamma: expected a positive number");
}

LrSchedule::LrSchedule(ScheduleOptions o, int64_t epochs, int64_t steps_per_epoch)
    : o_(std::move(o)), epochs_(epochs), spe_(steps_per_epoch) {
  o_.validate();
  warmup_steps_ = static_cast<int64_t>(std::llround(o_.warmup_epochs * static_cast<double>(spe_)));
  total_steps_ = epochs_ * spe_;
  if (o_.kind == "step" && o_.milestones.empty()) o_.milestones = {0.5 * epochs_, 0.75 * epochs_};
}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps_) return o_.base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  if (o_.kind == "constant") return o_.base_lr;
  if (o_.kind == "step") {
    const double epoch = static_cast<double>(step) / static_cast<double>(spe_);
    double lr = o_.base_lr;
    for (double m : o_.milestones)
      if (epoch >= m) lr *= o_.gamma;
    return lr;
  }
  // cosine over the post-warm-up steps, reaching final_lr after the last step.
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup_steps_));
  const double t = std::min(1.0, static_cast<double>(step - warmup_steps_) / span);
  return o_.final_lr + 0.5 * (o_.base_lr - o_.final_lr) * (1.0 + std::cos(M_PI * t));
}

}  // namespace nrs
