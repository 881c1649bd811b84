#include "suite/run/epoch_loop.h"
#include "suite/hessian/spectrum.h"
#include "suite/run/memory_format.h"
#include "suite/run/preemption.h"
#include "suite/run/replica_sync.h"
#include "suite/run/step_hooks.h"
#include "suite/run/step_timer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace nrs {
namespace {

// The first steps of a run (allocator growth, cuDNN autotuning, lazy init)
// are timed apart and left out of the steady throughput: min(10, 1/5 of an
// epoch) steps at the start of epoch 1.
constexpr int64_t kWarmupSteps = 10;

using Clock = std::chrono::steady_clock;

// One uninterrupted stretch of steps in this process (an epoch, or the part
// of it before or after a preemption), and its timers.
struct Segment {
  int64_t warm = 0;               // steps timed apart at the start
  int64_t seen0 = 0, steps0 = 0;  // sums at the segment's start
  int64_t warm_images = 0;
  StepTimer warm_timer, timer;
  explicit Segment(torch::Device d) : warm_timer(d), timer(d) {}
  void start() { (warm > 0 ? warm_timer : timer).start(); }
  void after_step(const EpochSums& sums) {
    if (warm > 0 && sums.steps - steps0 == warm) {
      warm_timer.stop();
      warm_images = sums.seen - seen0;
      timer.start();
    }
  }
  // Stops the timers and books the segment into the sums and timings.
  void close(EpochSums& sums, Timings& t) {
    const int64_t steps = sums.steps - steps0, seen = sums.seen - seen0;
    const bool in_warm = warm > 0 && steps < warm;
    (in_warm ? warm_timer : timer).stop();
    const double steady = timer.seconds(), total = warm_timer.seconds() + steady;
    sums.time_s += total;
    t.train_time += total;
    t.train_images += seen;
    t.steady_time += steady;
    t.steady_images += in_warm ? 0 : seen - warm_images;
    t.steady_steps += in_warm ? 0 : steps - warm;
    t.method = timer.method();
  }
};

void run_hessian_point(TrainState& s, int64_t epoch) {
  auto ho = s.cfg.hessian;
  ho.top_k = s.cfg.hessian_top_k;
  // Density and repeats describe the final model only (cost, result size).
  ho.density = false;
  ho.repeats = 1;
  auto h =
      hessian::hessian_report(*s.model, s.data.hessian_split(ho.samples, ho.seed), s.data.info, ho, s.device).to_json();
  h["epoch"] = epoch;
  s.progress.hessian_curve.push_back(h);
}

void print_epoch(const TrainState& s, const nlohmann::json& h, bool tty) {
  if (tty) std::fprintf(stderr, "\r");
  std::string val;
  if (h.contains("val_acc")) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "val acc %.4f | ", h["val_acc"].get<double>());
    val = buf;
  }
  std::fprintf(stderr, "[epoch %lld/%lld] %s lr %.4g train loss %.4f acc %.4f | %stest acc %.4f | %.0f img/s %.1fs\n",
               static_cast<long long>(h["epoch"].get<int64_t>()), static_cast<long long>(s.cfg.epochs),
               s.strategy->describe()["variant"].get<std::string>().c_str(), h["lr"].get<double>(),
               h["train_loss"].get<double>(), h["train_acc"].get<double>(), val.c_str(),
               h.value("test_acc", std::nan("")), h["train_images_per_s"].get<double>(),
               h["epoch_time_s"].get<double>());
}

}  // namespace

std::pair<double, double> evaluate(models::Net& model, data::BatchSource& pipe, torch::Device device,
                                   bool channels_last, dist::Communicator* comm) {
  if (pipe.size() == 0) return {std::nan(""), std::nan("")};
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard ng;
  pipe.start_epoch(0);
  int64_t seen = 0;  // a streamed split may skip undecodable files
  data::Batch b;
  int64_t index = 0;
  auto loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  auto correct = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  while (pipe.next(b)) {
    if (comm != nullptr && index++ % comm->world() != comm->rank()) continue;
    auto x = channels_last ? to_channels_last(b.x) : b.x;
    auto logits = model.forward(x).to(torch::kFloat32);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, b.y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    correct += logits.argmax(1).eq(b.y).sum();
    seen += b.y.size(0);
  }
  model.train(was_training);
  EvalSums sums{loss_sum.item<double>(), static_cast<double>(correct.item<int64_t>()), static_cast<double>(seen)};
  if (comm != nullptr) sums = reduce_eval(*comm, sums);
  const double n = std::max(sums.seen, 1.0);
  return {sums.loss_sum / n, sums.correct / n};
}

optim::StepStats train_step(TrainState& s, const data::Batch& global) {
  auto& P = s.progress;
  auto& S = P.sums;
  // Replicas train on their rows of the global batch (replica_sync.h).
  data::Batch batch = global;
  double weight = 1.0;
  if (s.comm != nullptr) {
    auto rows = replica_rows(global, s.comm->rank(), s.comm->world());
    batch = rows.batch;
    weight = rows.weight;
  }
  if (s.cfg.channels_last) batch.x = to_channels_last(batch.x);
  S.lr = s.schedule->at(P.global_step);
  optim::StepContext ctx{*s.model,      batch,  s.objective, *s.base,       S.lr,
                         s.precision,   s.comm, weight,      P.global_step, s.schedule->total_steps(),
                         s.scaler.get()};
  auto st = optim::scaled_step(*s.strategy, ctx);
  const int64_t B = batch.y.size(0);
  S.loss += st.loss.to(torch::kFloat64) * static_cast<double>(B);
  S.correct += st.correct;
  S.grad_norm += st.grad_norm.to(torch::kFloat64);
  S.perturb_norm += st.perturb_norm.to(torch::kFloat64);
  if (st.kl.defined()) {
    S.kl += st.kl.to(torch::kFloat64);
    S.has_kl = true;
  }
  S.seen += B;
  ++S.steps;
  ++P.global_step;
  return st;
}

nlohmann::json close_epoch(TrainState& s) {
  auto& P = s.progress;
  auto& S = P.sums;
  const auto& cfg = s.cfg;
  if (s.comm != nullptr) reduce_epoch_sums(*s.comm, S);  // every rank: the global batch's figures
  const double denom_seen = static_cast<double>(std::max<int64_t>(S.seen, 1));
  const double denom_steps = static_cast<double>(std::max<int64_t>(S.steps, 1));
  const double train_loss = S.loss.item<double>() / denom_seen;
  if (P.status == "ok" && !std::isfinite(train_loss)) {
    P.status = "diverged";
    P.reason = "non-finite training loss in epoch " + std::to_string(P.epoch + 1);
  }
  nlohmann::json h = {{"epoch", P.epoch + 1},
                      {"lr", S.lr},
                      {"train_loss", train_loss},
                      {"train_acc", static_cast<double>(S.correct.item<int64_t>()) / denom_seen},
                      {"grad_norm", S.grad_norm.item<double>() / denom_steps},
                      {"perturb_norm", S.perturb_norm.item<double>() / denom_steps},
                      {"epoch_time_s", S.time_s},
                      {"train_images_per_s", S.seen / std::max(S.time_s, 1e-9)}};
  if (S.has_kl) h["kl"] = S.kl.item<double>() / denom_steps;
  if (P.status == "ok") {
    if (s.comm != nullptr) average_buffers(*s.comm, *s.model);
    if (s.data.val_size() > 0) {
      auto val = s.data.eval_source(/*val=*/true, cfg.eval_batch_size, s.device);
      auto [vl, va] = evaluate(*s.model, *val, s.device, cfg.channels_last, s.comm);
      h["val_loss"] = vl;
      h["val_acc"] = va;
    }
    auto test = s.data.eval_source(/*val=*/false, cfg.eval_batch_size, s.device);
    auto [tl, ta] = evaluate(*s.model, *test, s.device, cfg.channels_last, s.comm);
    h["test_loss"] = tl;
    h["test_acc"] = ta;
    // The last epoch also measures the fit to the training data as the
    // final model sees it: eval mode, no augmentation, every training
    // sample (train_acc above is the running figure over augmented batches
    // in train mode, while the weights still moved).
    if (P.epoch + 1 == cfg.epochs) {
      if (auto train = s.data.train_eval_source(cfg.eval_batch_size, s.device)) {
        auto [el, ea] = evaluate(*s.model, *train, s.device, cfg.channels_last, s.comm);
        h["train_eval_loss"] = el;
        h["train_eval_acc"] = ea;
      }
    }
    if (cfg.hessian_top_k > 0 && cfg.hessian_every > 0 && (P.epoch + 1) % cfg.hessian_every == 0 &&
        P.epoch + 1 < cfg.epochs)
      run_hessian_point(s, P.epoch + 1);
  }
  P.history.push_back(h);
  ++P.epoch;
  S.reset(s.device);
  return h;
}

void train_epochs(TrainState& s, const LoopOptions& o) {
  auto& P = s.progress;
  const auto& cfg = s.cfg;
  const StepHooks hooks = standard_step_hooks({o.tty && !o.quiet, o.checkpoint_every_seconds, s.comm});
  bool first_segment = true;
  auto checkpoint_now = [&] {
    if (o.checkpoint) o.checkpoint(s);
    for (const auto& h : hooks) h->after_checkpoint();
  };
  auto preempted = [&](int sig) {
    return Preempted(signal_name(sig) + " after step " + std::to_string(P.global_step) + " (epoch " +
                         std::to_string(std::min(P.epoch + 1, cfg.epochs)) + ")",
                     o.checkpoint ? o.checkpoint_path : "");
  };

  while (P.epoch < cfg.epochs && P.status == "ok") {
    auto& S = P.sums;
    if (S.steps == 0) {
      s.pipe->start_epoch(P.epoch);
      S.reset(s.device);
    }  // else: resumed mid-epoch; the checkpoint restored the pipeline's position
    s.model->train();
    Segment seg(s.device);
    if (first_segment && P.epoch == 0 && S.steps == 0)
      seg.warm = std::min<int64_t>(kWarmupSteps, s.pipe->batches_per_epoch() / 5);
    first_segment = false;
    seg.seen0 = S.seen;
    seg.steps0 = S.steps;
    seg.start();

    data::Batch global;
    StepDecision d;
    while (s.pipe->next(global)) {
      const auto st = train_step(s, global);
      seg.after_step(S);
      d = StepDecision{};
      for (const auto& h : hooks) h->after_step(s, st, d);
      if (d.nonfinite) {
        P.status = "diverged";
        P.reason =
            "non-finite training loss at epoch " + std::to_string(P.epoch + 1) + ", step " + std::to_string(S.steps);
        break;
      }
      if (d.stop_signal != 0) break;
      if (d.checkpoint_due) checkpoint_now();
    }
    seg.close(S, P.timings);
    if (d.stop_signal != 0 && P.status == "ok") {  // mid-epoch: the running sums go into the checkpoint
      checkpoint_now();
      throw preempted(d.stop_signal);
    }

    const auto h = close_epoch(s);
    if (!o.quiet) print_epoch(s, h, o.tty);
    if (P.status != "ok") break;
    // Always after the last epoch: the Hessian that follows may fail or be
    // killed, and must not cost the training.
    int sig = preemption_signal();
    if (s.comm != nullptr) sig = agree(*s.comm, sig, false, false).stop_signal;
    const bool last = P.epoch == cfg.epochs;
    if (last || sig != 0 || (o.checkpoint_every_epochs > 0 && P.epoch % o.checkpoint_every_epochs == 0))
      checkpoint_now();
    if (sig != 0) throw preempted(sig);
  }
}

}  // namespace nrs
