// On-device batch pipeline (airbench style): the whole split lives on the
// training device as uint8; every batch is gathered, augmented and normalised
// there, driven by a seeded CPU generator so runs reproduce on any device.
#pragma once
#include "datasets/batch_source.h"

namespace nrs::data {

struct AugmentOptions {
  std::string mode = "none";      // none | basic (pad-crop + flip) | cutout (basic + Cutout)
  int64_t pad = 4;                // crop padding in pixels
  std::string pad_mode = "zero";  // zero | reflect
  bool flip = true;               // horizontal flip in basic/cutout
  int64_t cutout = 16;            // Cutout square side
  // Where the Cutout square goes: image = its own position per image (DeVries
  // & Taylor 2017); batch = one position for the whole batch, as the official
  // SAM code does (sam_jax/datasets/augmentation.py cutout, a batch-level map).
  std::string cutout_mode = "image";
  static void validate(const AugmentOptions& a);  // throws std::invalid_argument naming the flag
};

class BatchPipeline : public BatchSource {
 public:
  // drop_last: an epoch ends before a partial batch (tf.data batch with
  // drop_remainder=True, as the official SAM code's training set).
  BatchPipeline(const Split& split, const DatasetInfo& info, int64_t batch_size, torch::Device device,
                AugmentOptions aug, bool shuffle, uint64_t seed, bool drop_last = false);

  // Starts epoch `epoch`: the order and augmentation draws are a pure function
  // of (seed, epoch), so a resumed or repeated epoch sees the same batches.
  void start_epoch(int64_t epoch) override;
  bool next(Batch& out) override;
  int64_t batches_per_epoch() const override;
  int64_t size() const override { return n_; }
  // {order (CPU int64 [N]), generator state, position (0-dim int64)}: the
  // epoch's order and the augmentation generator as they stand, so a resumed
  // run draws the same remaining batches and augmentations.
  std::vector<torch::Tensor> state() const override;
  void load_state(const std::vector<torch::Tensor>& s) override;

  // Normalises a raw batch (uint8 pixels or float) without augmentation.
  torch::Tensor normalize(const torch::Tensor& raw) const;
  // Applies the augmentation to a raw (un-normalised) batch with `gen`.
  torch::Tensor augment(const torch::Tensor& raw, at::Generator& gen) const;

 private:
  torch::Tensor images_, labels_, mean_, inv_std_;
  bool is_uint8_;
  int64_t n_, batch_size_, pos_ = 0;
  torch::Device device_;
  AugmentOptions aug_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;
  torch::Tensor order_;
  at::Generator gen_;
};

}  // namespace nrs::data
