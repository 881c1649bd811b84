#include "datasets/dataset.h"

namespace nrs::data {

std::pair<torch::Tensor, torch::Tensor> validation_indices(const torch::Tensor& all_labels, int64_t n, uint64_t seed) {
  const int64_t total = all_labels.size(0);
  if (n >= total)
    throw DataError("--val-split " + std::to_string(n) + ": must be smaller than the training split (" +
                    std::to_string(total) + " samples)");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x5eedba11ULL);
  auto labels = all_labels.to(torch::kCPU);
  const int64_t classes = labels.max().item<int64_t>() + 1;
  // Largest-remainder apportionment so per-class counts sum exactly to n.
  auto counts = torch::bincount(labels, {}, classes);
  std::vector<int64_t> take(classes);
  std::vector<std::pair<double, int64_t>> rema;
  int64_t assigned = 0;
  for (int64_t c = 0; c < classes; ++c) {
    const double exact = static_cast<double>(n) * counts[c].item<int64_t>() / static_cast<double>(total);
    take[c] = static_cast<int64_t>(exact);
    assigned += take[c];
    rema.push_back({exact - take[c], c});
  }
  std::stable_sort(rema.begin(), rema.end(), [](auto a, auto b) { return a.first > b.first; });
  for (int64_t i = 0; assigned < n; ++i, ++assigned) take[rema[i % classes].second] += 1;

  std::vector<torch::Tensor> val_idx, train_idx;
  for (int64_t c = 0; c < classes; ++c) {
    auto idx = torch::nonzero(labels == c).flatten();
    auto perm = torch::randperm(idx.size(0), gen, torch::kInt64);
    idx = idx.index_select(0, perm);
    val_idx.push_back(idx.slice(0, 0, take[c]));
    train_idx.push_back(idx.slice(0, take[c]));
  }
  // Keep the original order inside each split: only membership is random.
  auto vi = std::get<0>(torch::cat(val_idx).sort());
  auto ti = std::get<0>(torch::cat(train_idx).sort());
  return {vi, ti};
}

void carve_validation(Dataset& ds, int64_t n, uint64_t seed) {
  if (n <= 0) return;
  auto [vi, ti] = validation_indices(ds.train.labels, n, seed);
  const auto dev = ds.train.images.device();
  ds.val = Split{ds.train.images.index_select(0, vi.to(dev)), ds.train.labels.index_select(0, vi.to(dev))};
  ds.train = Split{ds.train.images.index_select(0, ti.to(dev)), ds.train.labels.index_select(0, ti.to(dev))};
}

}  // namespace nrs::data
