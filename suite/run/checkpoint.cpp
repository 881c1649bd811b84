#include "suite/run/checkpoint.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/io/zip_bounds.h"
#include "suite/run/cell_id.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace nrs {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

torch::Tensor bytes_tensor(const std::string& s) {
  auto t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

std::string tensor_bytes(const torch::Tensor& t) {
  auto c = t.to(torch::kCPU).contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()));
}

json progress_json(const RunProgress& p) {
  const auto& t = p.timings;
  return {{"epoch", p.epoch},
          {"global_step", p.global_step},
          {"sums",
           {{"has_kl", p.sums.has_kl},
            {"seen", p.sums.seen},
            {"steps", p.sums.steps},
            {"lr", p.sums.lr},
            {"time_s", p.sums.time_s}}},
          {"timings",
           {{"train_time", t.train_time},
            {"steady_time", t.steady_time},
            {"train_images", t.train_images},
            {"steady_images", t.steady_images},
            {"steady_steps", t.steady_steps},
            {"method", t.method},
            {"previous_wall_s", t.previous_wall_s}}},
          {"history", p.history},
          {"hessian_curve", p.hessian_curve},
          {"resumes", p.resumes},
          {"origin", p.origin},
          {"status", p.status},
          {"reason", p.reason},
          {"start_time", p.start_time}};
}

void progress_from_json(RunProgress& p, const json& j) {
  p.epoch = j.at("epoch");
  p.global_step = j.at("global_step");
  const auto& s = j.at("sums");
  p.sums.has_kl = s.at("has_kl");
  p.sums.seen = s.at("seen");
  p.sums.steps = s.at("steps");
  p.sums.lr = s.at("lr");
  p.sums.time_s = s.at("time_s");
  const auto& t = j.at("timings");
  p.timings.train_time = t.at("train_time");
  p.timings.steady_time = t.at("steady_time");
  p.timings.train_images = t.at("train_images");
  p.timings.steady_images = t.at("steady_images");
  p.timings.steady_steps = t.at("steady_steps");
  p.timings.method = t.at("method");
  p.timings.previous_wall_s = t.at("previous_wall_s");
  p.history = j.at("history");
  p.hessian_curve = j.at("hessian_curve");
  p.resumes = j.at("resumes");
  p.origin = j.value("origin", nlohmann::json(nullptr));  // absent in checkpoints before 2026-12-01
  p.status = j.at("status");
  p.reason = j.at("reason");
  p.start_time = j.at("start_time");
}

// Model tensors by name: parameters, then buffers (BN running statistics).
std::vector<std::pair<std::string, torch::Tensor>> model_tensors(const models::Net& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& kv : m.named_parameters()) out.emplace_back("model." + kv.key(), kv.value());
  for (const auto& kv : m.named_buffers()) out.emplace_back("model." + kv.key(), kv.value());
  return out;
}

}  // namespace

std::string resume_id(const RunConfig& c) {
  auto one = c;
  one.nproc = 1;
  return matrix::cell_id(one);
}

CheckpointWrite save_checkpoint(const TrainState& s, const std::string& path) {
  const auto t0 = std::chrono::steady_clock::now();
  torch::serialize::OutputArchive ar;
  for (const auto& [name, t] : model_tensors(*s.model)) ar.write(name, t.detach().to(torch::kCPU));
  const auto& mom = s.base->momentum_buffers();
  json has_momentum = json::array();
  for (size_t i = 0; i < mom.size(); ++i) {
    has_momentum.push_back(mom[i].defined());
    if (mom[i].defined()) ar.write("momentum." + std::to_string(i), mom[i].to(torch::kCPU));
  }
  const auto strat = s.strategy->state();
  for (size_t i = 0; i < strat.size(); ++i) ar.write("strategy." + std::to_string(i), strat[i].to(torch::kCPU));
  const auto pipe = s.pipe->state();
  for (size_t i = 0; i < pipe.size(); ++i) ar.write("pipeline." + std::to_string(i), pipe[i]);
  if (s.scaler) ar.write("loss_scale", s.scaler->state());
  ar.write("rng.cpu", at::detail::getDefaultCPUGenerator().get_state());
  if (s.device.is_cuda()) ar.write("rng.cuda", at::globalContext().defaultGenerator(s.device).get_state());
  const auto& sums = s.progress.sums;
  ar.write("sums.loss", sums.loss.to(torch::kCPU));
  ar.write("sums.correct", sums.correct.to(torch::kCPU));
  ar.write("sums.grad_norm", sums.grad_norm.to(torch::kCPU));
  ar.write("sums.perturb_norm", sums.perturb_norm.to(torch::kCPU));
  ar.write("sums.kl", sums.kl.to(torch::kCPU));
  json meta = {{"kind", "nrsbench-checkpoint"},
               {"format", kCheckpointFormat},
               {"cell_id", matrix::cell_id(s.cfg)},
               {"resume_id", resume_id(s.cfg)},
               {"world_size", s.cfg.nproc},
               {"config", s.cfg.to_json()},
               {"seed", s.cfg.seed},
               {"has_momentum", has_momentum},
               {"strategy_tensors", strat.size()},
               {"pipeline_tensors", pipe.size()},
               {"written_at_step", s.progress.global_step},
               {"progress", progress_json(s.progress)}};
  ar.write("meta", bytes_tensor(meta.dump()));

  // Serialised in memory first: LibTorch's file writer finishes the archive
  // in its destructor, which on a full disk throws there and terminates the
  // process. write_text_atomic writes with checked calls (temporary file,
  // fsync, rename), so a full or read-only disk is one OutputError naming
  // the path, and the previous checkpoint stays as it was.
  std::string bytes;
  ar.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  write_text_atomic(path, bytes);
  CheckpointWrite w;
  w.bytes = static_cast<int64_t>(bytes.size());
  w.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return w;
}

bool load_checkpoint(TrainState& s, const std::string& path) {
  if (path.empty() || !fs::exists(path)) return false;
  // Verified before use: a changed byte in a checkpoint would otherwise
  // resume silently with wrong numbers (LibTorch's reader checks no CRC).
  {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw InputError(path + ": cannot read the checkpoint");
    if (const auto damage = zip_damage(bytes.data(), bytes.size()))
      throw InputError(path + ": damaged checkpoint (" + *damage +
                       "); restore an intact copy, or remove it to start the run from scratch");
  }
  torch::serialize::InputArchive ar;
  json meta;
  try {
    ar.load_from(path);
    torch::Tensor m;
    if (!ar.try_read("meta", m)) throw std::runtime_error("no metadata");
    meta = json::parse(tensor_bytes(m));
  } catch (const std::exception& e) {
    std::string msg = e.what();
    throw std::invalid_argument(path + ": not a readable nrsbench checkpoint (" + msg.substr(0, msg.find('\n')) +
                                "); remove it to start the run from scratch");
  }
  if (meta.value("kind", "") != "nrsbench-checkpoint" || meta.value("format", 0) != kCheckpointFormat)
    throw std::invalid_argument(path + ": not an nrsbench checkpoint of format " + std::to_string(kCheckpointFormat));
  const std::string want = matrix::cell_id(s.cfg);
  // Another world size is the same run resumed elastically (the global batch
  // sequence does not depend on it); the resume records both sizes.
  const bool same_run = meta.value("cell_id", "") == want || meta.value("resume_id", "") == resume_id(s.cfg);
  if (!same_run || meta.value("seed", uint64_t(-1)) != s.cfg.seed)
    throw std::invalid_argument(path + ": checkpoint of cell " + meta.value("cell_id", "?") + " seed " +
                                std::to_string(meta.value("seed", uint64_t(0))) + ", but this run is cell " + want +
                                " seed " + std::to_string(s.cfg.seed) +
                                " (another configuration); use another --checkpoint or remove the file");
  auto read = [&](const std::string& key) {
    torch::Tensor t;
    if (!ar.try_read(key, t)) throw std::invalid_argument(path + ": checkpoint lacks \"" + key + "\"");
    return t;
  };
  {
    torch::NoGradGuard ng;
    for (auto& [name, t] : model_tensors(*s.model)) {
      auto v = read(name);
      if (v.sizes() != t.sizes() || v.scalar_type() != t.scalar_type())
        throw std::invalid_argument(path + ": \"" + name + "\" has another shape or dtype than the model's");
      t.copy_(v);
    }
    auto& mom = s.base->momentum_buffers();
    const auto& has = meta.at("has_momentum");
    if (has.size() != mom.size()) throw std::invalid_argument(path + ": momentum buffers do not match the model");
    for (size_t i = 0; i < mom.size(); ++i)
      mom[i] = has[i].get<bool>() ? read("momentum." + std::to_string(i)).to(s.device) : torch::Tensor();
  }
  std::vector<torch::Tensor> strat, pipe;
  for (size_t i = 0; i < meta.at("strategy_tensors").get<size_t>(); ++i)
    strat.push_back(read("strategy." + std::to_string(i)));
  for (size_t i = 0; i < meta.at("pipeline_tensors").get<size_t>(); ++i)
    pipe.push_back(read("pipeline." + std::to_string(i)));
  s.strategy->load_state(strat);
  s.pipe->load_state(pipe);
  if (s.scaler) {
    try {
      s.scaler->load_state(read("loss_scale"));
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      throw std::invalid_argument(msg.rfind(path, 0) == 0 ? msg : path + ": " + msg);
    }
  }
  auto cpu_gen = at::detail::getDefaultCPUGenerator();  // a handle: setting its state sets the default's
  cpu_gen.set_state(read("rng.cpu"));
  if (s.device.is_cuda()) {
    auto gen = at::globalContext().defaultGenerator(s.device);
    gen.set_state(read("rng.cuda"));
  }
  progress_from_json(s.progress, meta.at("progress"));
  auto& sums = s.progress.sums;
  sums.loss = read("sums.loss").to(s.device);
  sums.correct = read("sums.correct").to(s.device);
  sums.grad_norm = read("sums.grad_norm").to(s.device);
  sums.perturb_norm = read("sums.perturb_norm").to(s.device);
  sums.kl = read("sums.kl").to(s.device);
  return true;
}

}  // namespace nrs
