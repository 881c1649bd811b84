#include "suite/optim/gate_replay.h"

#include <ATen/Context.h>

#include <mutex>

namespace nrs::optim {

namespace {
torch::Tensor get_state(at::Generator& g) {
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}
void set_state(at::Generator& g, const torch::Tensor& s) {
  std::lock_guard<std::mutex> lock(g.mutex());
  g.set_state(s);
}
}  // namespace

void GateReplay::record(const torch::Device& device) {
  gens_.clear();
  states_.clear();
  gens_.push_back(at::globalContext().defaultGenerator(torch::Device(torch::kCPU)));
  if (!device.is_cpu()) gens_.push_back(at::globalContext().defaultGenerator(device));
  for (auto& g : gens_) states_.push_back(get_state(g));
}

GateReplay::Scope::Scope(const GateReplay& r, bool active) {
  if (!active) return;
  gens_ = r.gens_;
  for (size_t i = 0; i < gens_.size(); ++i) {
    resume_.push_back(get_state(gens_[i]));
    set_state(gens_[i], r.states_[i]);
  }
}

GateReplay::Scope::~Scope() {
  for (size_t i = 0; i < gens_.size(); ++i) set_state(gens_[i], resume_[i]);
}

}  // namespace nrs::optim
