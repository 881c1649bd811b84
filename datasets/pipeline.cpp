#include "datasets/pipeline.h"

namespace nrs::data {

void AugmentOptions::validate(const AugmentOptions& a) {
  if (a.mode != "none" && a.mode != "basic" && a.mode != "cutout")
    throw std::invalid_argument("--augment '" + a.mode + "': expected none, basic or cutout");
  if (a.pad_mode != "zero" && a.pad_mode != "reflect")
    throw std::invalid_argument("--pad-mode '" + a.pad_mode + "': expected zero or reflect");
  if (a.pad < 0) throw std::invalid_argument("--pad: expected a non-negative integer");
  if (a.cutout < 0) throw std::invalid_argument("--cutout: expected a non-negative integer");
  if (a.cutout_mode != "image" && a.cutout_mode != "batch")
    throw std::invalid_argument("--cutout-mode '" + a.cutout_mode + "': expected image or batch");
}

BatchPipeline::BatchPipeline(const Split& split, const DatasetInfo& info, int64_t batch_size, torch::Device device,
                             AugmentOptions aug, bool shuffle, uint64_t seed, bool drop_last)
    : images_(split.images.to(device)),
      labels_(split.labels.to(device)),
      is_uint8_(split.images.scalar_type() == torch::kUInt8),
      n_(split.size()),
      batch_size_(batch_size),
      device_(device),
      aug_(std::move(aug)),
      shuffle_(shuffle),
      seed_(seed),
      drop_last_(drop_last),
      gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {
  AugmentOptions::validate(aug_);
  if (batch_size <= 0) throw std::invalid_argument("--batch-size: expected a positive integer");
  auto mean = torch::tensor(info.mean, torch::kFloat32).view({1, -1, 1, 1});
  auto std = torch::tensor(info.std, torch::kFloat32).view({1, -1, 1, 1});
  if (is_uint8_) {
    // Fold the /255 into the affine map: x_norm = raw * (1/(255 std)) - mean/std.
    inv_std_ = (1.0 / (255.0 * std)).to(device);
    mean_ = (mean * 255.0).to(device);
  } else {
    inv_std_ = (1.0 / std).to(device);
    mean_ = mean.to(device);
  }
  start_epoch(0);
}

int64_t BatchPipeline::batches_per_epoch() const {
  return drop_last_ ? n_ / batch_size_ : (n_ + batch_size_ - 1) / batch_size_;
}

void BatchPipeline::start_epoch(int64_t epoch) {
  gen_ = at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000003ULL + static_cast<uint64_t>(epoch));
  order_ = shuffle_ ? torch::randperm(n_, gen_, torch::kInt64) : torch::arange(n_, torch::kInt64);
  order_ = order_.to(device_);
  pos_ = 0;
}

std::vector<torch::Tensor> BatchPipeline::state() const {
  return {order_.to(torch::kCPU), gen_.get_state(), torch::scalar_tensor(pos_, torch::kInt64)};
}

void BatchPipeline::load_state(const std::vector<torch::Tensor>& s) {
  // A checkpoint of another split (other size) would silently draw wrong
  // samples, so the shape is checked before anything changes.
  if (s.size() != 3 || !s[0].defined() || s[0].dim() != 1 || s[0].scalar_type() != torch::kInt64 ||
      s[0].size(0) != n_ || !s[1].defined() || !s[2].defined() || s[2].numel() != 1)
    throw DataError("batch pipeline state: expected {order int64 [" + std::to_string(n_) +
                    "], generator state, position}; the checkpoint is for another training split");
  const int64_t pos = s[2].item<int64_t>();
  if (pos < 0 || pos > n_)
    throw DataError("batch pipeline state: position " + std::to_string(pos) + " outside [0, " + std::to_string(n_) +
                    "]");
  try {
    gen_.set_state(s[1]);
  } catch (const c10::Error&) {
    throw DataError("batch pipeline state: the generator state is not a CPU generator state (uint8 tensor)");
  }
  order_ = s[0].to(device_);
  pos_ = pos;
}

torch::Tensor BatchPipeline::normalize(const torch::Tensor& raw) const {
  return (raw.to(torch::kFloat32) - mean_) * inv_std_;
}

torch::Tensor BatchPipeline::augment(const torch::Tensor& raw, at::Generator& gen) const {
  if (aug_.mode == "none") return raw;
  const int64_t B = raw.size(0), H = raw.size(2), W = raw.size(3), p = aug_.pad;
  auto x = raw;
  if (p > 0) {
    // Random crop of the padded image: per-sample offsets in [0, 2p], gathered
    // row- then column-wise so the whole batch is one vectorised op.
    auto padded = aug_.pad_mode == "reflect"
                      ? torch::reflection_pad2d(x.to(torch::kFloat32), {p, p, p, p}).to(x.scalar_type())
                      : torch::constant_pad_nd(x, {p, p, p, p}, 0);
    auto dy = torch::randint(0, 2 * p + 1, {B}, gen, torch::kInt64).to(device_);
    auto dx = torch::randint(0, 2 * p + 1, {B}, gen, torch::kInt64).to(device_);
    auto ar_h = torch::arange(H, torch::TensorOptions().dtype(torch::kInt64).device(device_));
    auto ar_w = torch::arange(W, torch::TensorOptions().dtype(torch::kInt64).device(device_));
    const int64_t C = x.size(1);
    auto rows = (dy.view({B, 1, 1, 1}) + ar_h.view({1, 1, H, 1})).expand({B, C, H, W + 2 * p});
    auto tmp = padded.gather(2, rows);
    auto cols = (dx.view({B, 1, 1, 1}) + ar_w.view({1, 1, 1, W})).expand({B, C, H, W});
    x = tmp.gather(3, cols);
  }
  if (aug_.flip) {
    auto flip = torch::rand({B}, gen).lt(0.5).to(device_).view({B, 1, 1, 1});
    x = torch::where(flip, x.flip({3}), x);
  }
  return x;
}

bool BatchPipeline::next(Batch& out) {
  if (pos_ >= n_ || (drop_last_ && pos_ + batch_size_ > n_)) return false;
  const int64_t end = std::min(pos_ + batch_size_, n_);
  auto idx = order_.slice(0, pos_, end);
  pos_ = end;
  auto raw = images_.index_select(0, idx);
  out.y = labels_.index_select(0, idx);
  out.x = normalize(augment(raw, gen_));
  if (aug_.mode == "cutout" && aug_.cutout > 0) {
    // Cutout after normalisation: the square is set to 0 = the dataset mean.
    const int64_t B = out.x.size(0), H = out.x.size(2), W = out.x.size(3), s = aug_.cutout;
    // One centre per image, or one for the whole batch (broadcast).
    const int64_t n = aug_.cutout_mode == "batch" ? 1 : B;
    auto cy = torch::randint(0, H, {n}, gen_, torch::kInt64).to(device_).view({n, 1, 1});
    auto cx = torch::randint(0, W, {n}, gen_, torch::kInt64).to(device_).view({n, 1, 1});
    auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device_);
    auto yy = torch::arange(H, opts).view({1, H, 1});
    auto xx = torch::arange(W, opts).view({1, 1, W});
    auto inside = (yy >= cy - s / 2) & (yy < cy - s / 2 + s) & (xx >= cx - s / 2) & (xx < cx - s / 2 + s);
    out.x = out.x.masked_fill(inside.unsqueeze(1), 0.0);
  }
  return true;
}

}  // namespace nrs::data
