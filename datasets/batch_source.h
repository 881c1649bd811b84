// The interface the training loop and evaluation draw batches from, so the
// in-memory BatchPipeline and the streamed ImageFolder are interchangeable.
#pragma once
#include "datasets/dataset.h"

#include <vector>

namespace nrs::data {

struct Batch {
  torch::Tensor x;  // float32 [B, C, H, W], normalised
  torch::Tensor y;  // int64 [B]
};

// What the training loop and evaluation draw batches from: normalised float
// batches on the training device, a deterministic order per (seed, epoch),
// and a position that a checkpoint can save mid-epoch.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual void start_epoch(int64_t epoch) = 0;
  virtual bool next(Batch& out) = 0;  // x float32 [B,C,H,W] normalised, y int64 [B], on the device
  virtual int64_t batches_per_epoch() const = 0;
  virtual int64_t size() const = 0;  // samples per epoch
  // Position within the current epoch; after load_state the next batch is
  // the one an uninterrupted run would draw.
  virtual std::vector<torch::Tensor> state() const = 0;
  virtual void load_state(const std::vector<torch::Tensor>& s) = 0;
};

}  // namespace nrs::data
