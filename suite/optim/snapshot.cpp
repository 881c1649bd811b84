#include "suite/optim/snapshot.h"

namespace nrs::optim {

void ParamSnapshot::save() {
  torch::NoGradGuard ng;
  if (saved_.empty())
    for (const auto& p : params_) saved_.push_back(torch::empty_like(p, torch::MemoryFormat::Preserve));
  for (size_t i = 0; i < params_.size(); ++i) saved_[i].copy_(params_[i]);
}

void ParamSnapshot::restore() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(saved_[i]);
}

BufferSnapshot::BufferSnapshot(const torch::nn::Module& m) {
  for (const auto& b : m.buffers()) buffers_.push_back(b);
}

void BufferSnapshot::save() {
  torch::NoGradGuard ng;
  if (saved_.empty())
    for (const auto& b : buffers_) saved_.push_back(torch::empty_like(b, torch::MemoryFormat::Preserve));
  for (size_t i = 0; i < buffers_.size(); ++i) saved_[i].copy_(buffers_[i]);
}

void BufferSnapshot::restore() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(saved_[i]);
}

}  // namespace nrs::optim
