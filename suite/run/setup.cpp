#include "suite/run/setup.h"
#include "datasets/registry.h"
#include "datasets/sha256.h"
#include "datasets/stream_source.h"
#include "models/registry.h"
#include "suite/io/weights.h"
#include "suite/run/memory_format.h"

#include <ATen/CPUGeneratorImpl.h>

namespace nrs {

data::Split fixed_subset(const data::Split& s, int64_t n) {
  if (n <= 0 || n >= s.size()) return s;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5b5e7ULL);
  auto idx = std::get<0>(torch::randperm(s.size(), gen, torch::kInt64).slice(0, 0, n).sort());
  return data::Split{s.images.index_select(0, idx.to(s.images.device())),
                     s.labels.index_select(0, idx.to(s.labels.device()))};
}

RunData load_run_data(const DataSelection& sel) {
  data::DatasetOptions o;
  o.data_dir = sel.data_dir;
  o.val_split = sel.val_split;
  o.seed = sel.seed;
  o.decode_threads = sel.decode_threads;
  o.stream_prefetch_mb = sel.stream_prefetch_mb;
  RunData d;
  if (data::parse_streaming_folder_name(sel.dataset, nullptr)) {
    auto sf = data::open_streaming_folder(sel.dataset, o);
    sf.train = data::index_subset(sf.train, sel.train_subset);
    sf.test = data::index_subset(sf.test, sel.test_subset);
    d.info = sf.info;
    d.decode_threads = sf.threads;
    d.stream = std::make_shared<data::StreamingFolder>(std::move(sf));
    return d;
  }
  d.memory = data::make_dataset(sel.dataset, o);
  d.memory.train = fixed_subset(d.memory.train, sel.train_subset);
  d.memory.test = fixed_subset(d.memory.test, sel.test_subset);
  d.info = d.memory.info;
  return d;
}

int64_t RunData::train_size() const {
  return streamed() ? static_cast<int64_t>(stream->train.samples.size()) : memory.train.size();
}
int64_t RunData::val_size() const {
  return streamed() ? static_cast<int64_t>(stream->val.samples.size()) : memory.val.size();
}
int64_t RunData::test_size() const {
  return streamed() ? static_cast<int64_t>(stream->test.samples.size()) : memory.test.size();
}

std::unique_ptr<data::BatchSource> RunData::train_source(int64_t batch, torch::Device device,
                                                         const data::AugmentOptions& aug, bool shuffle, uint64_t seed,
                                                         bool drop_last) const {
  if (streamed())
    return data::make_stream_source(*stream, data::StreamSplit::kTrain, batch, device, shuffle, seed, drop_last);
  return std::make_unique<data::BatchPipeline>(memory.train, info, batch, device, aug, shuffle, seed, drop_last);
}

std::unique_ptr<data::BatchSource> RunData::eval_source(bool val, int64_t batch, torch::Device device) const {
  if (streamed())
    return data::make_stream_source(*stream, val ? data::StreamSplit::kVal : data::StreamSplit::kTest, batch, device,
                                    /*shuffle_and_augment=*/false, 0);
  return std::make_unique<data::BatchPipeline>(val ? memory.val : memory.test, info, batch, device,
                                               data::AugmentOptions{}, /*shuffle=*/false, 0);
}

std::unique_ptr<data::BatchSource> RunData::train_eval_source(int64_t batch, torch::Device device) const {
  if (streamed()) return nullptr;
  return std::make_unique<data::BatchPipeline>(memory.train, info, batch, device, data::AugmentOptions{},
                                               /*shuffle=*/false, 0);
}

data::Split RunData::hessian_split(int64_t samples, uint64_t seed) const {
  return streamed() ? data::load_stream_samples(*stream, samples, seed) : memory.train;
}

std::string RunData::train_fingerprint() const {
  if (!streamed()) return split_fingerprint(memory.train);
  data::Sha256 h;
  for (const auto& [path, label] : stream->train.samples) {
    const std::string line = path + "\t" + std::to_string(label) + "\n";
    h.update(line.data(), line.size());
  }
  return h.hex_digest();
}

std::string split_fingerprint(const data::Split& s) {
  data::Sha256 h;
  for (const auto& t : {s.labels, s.images}) {
    if (!t.defined()) continue;
    auto c = t.to(torch::kCPU).contiguous();
    h.update(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  }
  return h.hex_digest();
}

models::ModelSpec spec_of(const data::DatasetInfo& info) {
  return {info.channels, info.height, info.width, info.num_classes};
}

models::NetPtr make_run_model(const ModelSelection& sel, const models::ModelSpec& spec, torch::Device device) {
  auto model = models::make_model(sel.model, spec, sel.init);
  if (!sel.init_weights.empty()) load_weights(*model, sel.init_weights);
  model->to(device);
  if (sel.channels_last) {
    // Module::to has no memory-format overload: convert 4-D weights in place.
    torch::NoGradGuard ng;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(to_channels_last(p.data()));
  }
  model->train();
  return model;
}

}  // namespace nrs
