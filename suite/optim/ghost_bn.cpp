#include "suite/optim/ghost_bn.h"

namespace nrs::optim {

GhostBnStats::GhostBnStats(const torch::nn::Module& model) {
  for (const auto& b : model.buffers()) buffers_.push_back(b);
}

void GhostBnStats::begin() {
  torch::NoGradGuard ng;
  if (start_.empty())
    for (const auto& b : buffers_) {
      start_.push_back(torch::empty_like(b, torch::MemoryFormat::Preserve));
      sum_.push_back(torch::empty_like(b, torch::MemoryFormat::Preserve));
    }
  for (size_t i = 0; i < buffers_.size(); ++i) {
    start_[i].copy_(buffers_[i]);
    if (buffers_[i].is_floating_point()) sum_[i].zero_();
  }
}

void GhostBnStats::before_group() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(start_[i]);
}

void GhostBnStats::after_group(double weight) {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].is_floating_point())
      sum_[i].add_(buffers_[i], weight);
    else
      sum_[i].copy_(buffers_[i]);
  }
}

void GhostBnStats::finish() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(sum_[i]);
}

}  // namespace nrs::optim
