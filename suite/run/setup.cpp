#include "suite/run/setup.h"
#include "datasets/registry.h"
#include "datasets/sha256.h"
#include "models/registry.h"
#include "suite/weights.h"

#include <ATen/CPUGeneratorImpl.h>

namespace nrs {

data::Split fixed_subset(const data::Split& s, int64_t n) {
  if (n <= 0 || n >= s.size()) return s;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5b5e7ULL);
  auto idx = std::get<0>(torch::randperm(s.size(), gen, torch::kInt64).slice(0, 0, n).sort());
  return data::Split{s.images.index_select(0, idx.to(s.images.device())),
                     s.labels.index_select(0, idx.to(s.labels.device()))};
}

data::Dataset load_run_data(const DataSelection& sel) {
  data::DatasetOptions o;
  o.data_dir = sel.data_dir;
  o.val_split = sel.val_split;
  o.seed = sel.seed;
  auto ds = data::make_dataset(sel.dataset, o);
  ds.train = fixed_subset(ds.train, sel.train_subset);
  ds.test = fixed_subset(ds.test, sel.test_subset);
  return ds;
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
      if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  model->train();
  return model;
}

}  // namespace nrs
