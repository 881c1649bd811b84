// A BatchSource over a streamed ImageFolder split: files are decoded and
// transformed on the loader's worker threads into a byte-bounded queue, and
// each batch is moved to the device as uint8 and normalised there.
#pragma once
#include "datasets/batch_source.h"
#include "datasets/streaming_folder.h"

#include <memory>

namespace nrs::data {

class StreamSource : public BatchSource {
 public:
  // `augment`: shuffled order and the training transform (random-resized crop
  // + flip); otherwise file order and the eval transform (resize + centre crop).
  // `drop_last`: the epoch ends before a partial batch (--drop-last).
  StreamSource(const StreamingFolder& f, StreamSplit split, int64_t batch, torch::Device device, bool augment,
               uint64_t seed, bool drop_last = false);

  void start_epoch(int64_t epoch) override;
  bool next(Batch& out) override;
  // From the file count: when files turn out undecodable the epoch can end
  // up to that many samples short (the last batch is short or missing).
  int64_t batches_per_epoch() const override;
  int64_t size() const override { return loader_->size(); }
  // {epoch, position} as 0-dim int64; position counts files of the epoch's
  // order consumed, skipped ones included, so load_state seeks exactly.
  std::vector<torch::Tensor> state() const override;
  void load_state(const std::vector<torch::Tensor>& s) override;

  int64_t skipped() const { return loader_->skipped(); }
  int64_t peak_queued_bytes() const { return loader_->peak_queued_bytes(); }
  int64_t queue_cap_bytes() const { return cap_bytes_; }
  int64_t files_read() const { return loader_->files_read(); }

 private:
  std::unique_ptr<ImageFolderLoader> loader_;
  int64_t batch_, cap_bytes_;
  torch::Device device_;
  bool augment_;
  bool drop_last_;
  bool started_ = false;
  int64_t epoch_ = 0;
  torch::Tensor mean_, inv_std_;
};

// What the training loop (augment = true, StreamSplit::kTrain) and evaluation
// (augment = false, any split) construct for an imagefolder-stream dataset.
std::unique_ptr<BatchSource> make_stream_source(const StreamingFolder& f, StreamSplit split, int64_t batch,
                                                torch::Device device, bool shuffle_and_augment, uint64_t seed,
                                                bool drop_last = false);

}  // namespace nrs::data
