#include "datasets/stream_source.h"

#include <limits>

namespace nrs::data {
namespace {

const ImageFolderIndex& index_of(const StreamingFolder& f, StreamSplit s) {
  return s == StreamSplit::kTrain ? f.train : s == StreamSplit::kVal ? f.val : f.test;
}

const char* name_of(StreamSplit s) {
  return s == StreamSplit::kTrain ? "train" : s == StreamSplit::kVal ? "val" : "test";
}

}  // namespace

StreamSource::StreamSource(const StreamingFolder& f, StreamSplit split, int64_t batch, torch::Device device,
                           bool augment, uint64_t seed, bool drop_last)
    : batch_(batch), cap_bytes_(f.prefetch_bytes), device_(device), augment_(augment), drop_last_(drop_last) {
  if (batch <= 0) throw std::invalid_argument("--batch-size: expected a positive integer");
  if (f.prefetch_bytes <= 0)
    throw DataError("--stream-prefetch-mb: expected a positive size (got " + std::to_string(f.prefetch_bytes) +
                    " bytes)");
  const auto& index = index_of(f, split);
  if (index.samples.empty())
    throw DataError(f.info.name + ": the " + std::string(name_of(split)) +
                    " split is empty (val needs --val-split N > 0)");
  // The sample window is limited only by the byte cap.
  loader_ = std::make_unique<ImageFolderLoader>(index, augment ? f.train_t : f.eval_t, f.threads,
                                                std::numeric_limits<int64_t>::max(), seed, f.prefetch_bytes);
  // Same affine map as BatchPipeline::normalize on uint8 input, so streamed
  // and in-memory batches of the same pixels are identical floats.
  auto mean = torch::tensor(f.info.mean, torch::kFloat32).view({1, -1, 1, 1});
  auto std = torch::tensor(f.info.std, torch::kFloat32).view({1, -1, 1, 1});
  inv_std_ = (1.0 / (255.0 * std)).to(device);
  mean_ = (mean * 255.0).to(device);
}

void StreamSource::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  loader_->start_epoch(epoch, augment_, 0);
  started_ = true;
}

bool StreamSource::next(Batch& out) {
  // Epoch 0 starts lazily: starting it in the constructor would decode a
  // prefetch window that an immediate start_epoch/load_state throws away.
  if (!started_) start_epoch(0);
  torch::Tensor x, y;
  if (!loader_->next(batch_, x, y)) return false;
  if (drop_last_ && y.size(0) < batch_) return false;
  out.x = (x.to(device_).to(torch::kFloat32) - mean_) * inv_std_;
  out.y = y.to(device_);
  return true;
}

int64_t StreamSource::batches_per_epoch() const {
  return drop_last_ ? size() / batch_ : (size() + batch_ - 1) / batch_;
}

std::vector<torch::Tensor> StreamSource::state() const {
  const int64_t pos = started_ ? loader_->position() : 0;
  return {torch::scalar_tensor(epoch_, torch::kInt64), torch::scalar_tensor(pos, torch::kInt64)};
}

void StreamSource::load_state(const std::vector<torch::Tensor>& s) {
  if (s.size() != 2 || !s[0].defined() || !s[1].defined() || s[0].numel() != 1 || s[1].numel() != 1)
    throw DataError("stream source state: expected {epoch, position} (2 scalars, got " + std::to_string(s.size()) +
                    " tensors); the checkpoint is not from an imagefolder-stream run");
  const int64_t pos = s[1].item<int64_t>();
  if (pos < 0 || pos > size())
    throw DataError("stream source state: position " + std::to_string(pos) + " outside the epoch [0, " +
                    std::to_string(size()) + "]; the checkpoint is for another training split");
  epoch_ = s[0].item<int64_t>();
  loader_->start_epoch(epoch_, augment_, pos);
  started_ = true;
}

std::unique_ptr<BatchSource> make_stream_source(const StreamingFolder& f, StreamSplit split, int64_t batch,
                                                torch::Device device, bool shuffle_and_augment, uint64_t seed,
                                                bool drop_last) {
  return std::make_unique<StreamSource>(f, split, batch, device, shuffle_and_augment, seed, drop_last);
}

}  // namespace nrs::data
