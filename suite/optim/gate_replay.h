// Shared stochastic gates (--shared-gates): the random draws of stochastic
// layers (ShakeDrop gates and coefficients, dropout masks) made in the first
// pass of a step are made again, identically, in its other passes.
//
// The official code evaluates both SAM passes under one PRNG key
// (flax_training.py train_step: forward_and_loss runs inside
// flax.nn.stochastic(prng_key) for the unperturbed and the perturbed model),
// so the perturbed loss is the same random function of the weights; PyTorch
// ports that call the model twice draw new gates in the second pass. Here the
// generators the layers draw from (the CPU default one and, on a GPU, that
// device's default one) are read before the first pass and set back to those
// states around every later forward pass of the step. Draws made between the
// passes (NRS random directions on a GPU) continue from where they were, so
// they stay distinct.
#pragma once
#include <torch/torch.h>

namespace nrs::optim {

class GateReplay {
 public:
  // Remembers the generator states for `device` now (call before the first
  // forward pass of a micro-batch).
  void record(const torch::Device& device);

  // While alive, the generators are at the recorded states; on destruction
  // they go back to the states they had at construction.
  class Scope {
   public:
    Scope(const GateReplay& r, bool active);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    std::vector<at::Generator> gens_;
    std::vector<torch::Tensor> resume_;
  };

 private:
  std::vector<at::Generator> gens_;
  std::vector<torch::Tensor> states_;
};

}  // namespace nrs::optim
