#include "suite/run/replica_sync.h"

namespace nrs {

ReplicaRows replica_rows(const data::Batch& global, int rank, int world) {
  const int64_t B = global.y.size(0);
  const int64_t lo = B * rank / world, hi = B * (rank + 1) / world;
  return {{global.x.narrow(0, lo, hi - lo), global.y.narrow(0, lo, hi - lo)},
          static_cast<double>(hi - lo) / static_cast<double>(B)};
}

StepAgreement agree(dist::Communicator& c, int signal, bool checkpoint_due, bool nonfinite) {
  auto t = c.control_tensor(
      {static_cast<double>(signal), checkpoint_due && c.rank() == 0 ? 1.0 : 0.0, nonfinite ? 1.0 : 0.0});
  c.all_reduce_max({t});
  t = t.cpu();
  const auto* v = t.data_ptr<double>();
  return {static_cast<int>(v[0]), v[1] > 0, v[2] > 0};
}

void reduce_epoch_sums(dist::Communicator& c, EpochSums& s) {
  auto dev = s.loss.device();
  auto packed = torch::stack({s.loss, s.correct.to(torch::kFloat64), s.grad_norm, s.perturb_norm, s.kl,
                              torch::full({}, static_cast<double>(s.seen), s.loss.options()),
                              torch::full({}, s.has_kl ? 1.0 : 0.0, s.loss.options())});
  c.all_reduce_sum({packed});
  auto v = packed.cpu();
  const auto* p = v.data_ptr<double>();
  const double w = static_cast<double>(c.world());
  auto o = torch::TensorOptions().device(dev).dtype(torch::kFloat64);
  s.loss = torch::full({}, p[0], o);
  s.correct = torch::full({}, static_cast<int64_t>(std::llround(p[1])), o.dtype(torch::kInt64));
  s.grad_norm = torch::full({}, p[2] / w, o);
  s.perturb_norm = torch::full({}, p[3] / w, o);
  s.kl = torch::full({}, p[4] / w, o);
  s.seen = static_cast<int64_t>(std::llround(p[5]));
  s.has_kl = p[6] > 0;
}

void keep_sums_on_rank0(const dist::Communicator& c, EpochSums& s, torch::Device device) {
  if (c.rank() == 0) return;
  const auto keep_steps = s.steps;
  const auto keep_lr = s.lr;
  const auto keep_time = s.time_s;
  const bool keep_kl = s.has_kl;
  s.reset(device);
  s.steps = keep_steps;  // the position is common; only the sums are rank 0's
  s.lr = keep_lr;
  s.time_s = keep_time;
  s.has_kl = keep_kl;
}

void average_buffers(dist::Communicator& c, models::Net& model) {
  std::vector<torch::Tensor> bufs;
  for (const auto& b : model.buffers())
    if (b.is_floating_point()) bufs.push_back(b);
  if (bufs.empty()) return;
  torch::NoGradGuard ng;
  c.all_reduce_sum(bufs);
  for (auto& b : bufs) b.div_(static_cast<double>(c.world()));
}

void broadcast_model(dist::Communicator& c, models::Net& model) {
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> ts;
  for (const auto& p : model.parameters()) ts.push_back(p);
  for (const auto& b : model.buffers()) ts.push_back(b);
  c.broadcast(ts, 0);
}

EvalSums reduce_eval(dist::Communicator& c, const EvalSums& local) {
  auto t = c.control_tensor({local.loss_sum, local.correct, local.seen});
  c.all_reduce_sum({t});
  t = t.cpu();
  const auto* v = t.data_ptr<double>();
  return {v[0], v[1], v[2]};
}

}  // namespace nrs
