#include "suite/io/run_result.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"

#include <cmath>
#include <set>

namespace nrs {
using nlohmann::json;

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kFailed:
      return "failed";
  }
  return "?";
}

RunStatus parse_run_status(const std::string& s) {
  for (auto v : {RunStatus::kOk, RunStatus::kDiverged, RunStatus::kFailed})
    if (s == to_string(v)) return v;
  throw std::invalid_argument("status '" + s + "': expected ok, diverged or failed");
}

const std::vector<ResultKey>& result_keys() {
  using P = KeyPresence;
  static const std::vector<ResultKey> keys = {
      {"schema_version", P::kAlways, "the results schema, 2 (schema 1 files are upgraded when read)"},
      {"suite_version", P::kAlways, "version of the binary that wrote the result"},
      {"git_commit", P::kAlways, "its commit (`-dirty` if built from modified tracked files)"},
      {"command_line", P::kAlways, "the exact command"},
      {"config", P::kAlways,
       "the fully resolved configuration, every flag with defaults ([run-flags.md](run-flags.md)); hashed into the "
       "cell id"},
      {"seed", P::kAlways, "seed of init, data order, augmentation, random neighbours"},
      {"variant", P::kAlways, "the method variant (e.g. `nrs-gradient`)"},
      {"optimizer", P::kFinished, "the method and all its hyperparameters, as its strategy describes itself"},
      {"optimizer_summary", P::kOptional,
       "what the steps did where they are not all alike (RST: the fraction of SAM steps)"},
      {"loss_scale", P::kOptional,
       "fp16 runs: the dynamic loss scaler's options (`init`, `growth_interval`, `growth_factor`, `backoff_factor`), "
       "`final_scale`, `steps` and `skipped_steps` ([optimizers.md](optimizers.md#fp16-with-dynamic-loss-scaling))"},
      {"model", P::kFinished, "`name` and `trainable_parameters`"},
      {"dataset", P::kFinished,
       "`name` (e.g. `cifar10-jpeg`, never `cifar10` for the JPEG copy), `source` path, `streamed`, split sizes, "
       "`num_classes`, `shape`, `train_sha256` (the exact training samples seen)"},
      {"device", P::kFinished, "CPU model or GPU name"},
      {"environment", P::kAlways,
       "host, LibTorch version, build type, CPU model, hardware threads, `cpu_features` (CPUID's `avx512f`, "
       "`avx512_bf16`, `amx_tile`, `amx_bf16` and the `bf16_unit` they give: `amx`, `avx512_bf16` or `none`), GPU "
       "name when used"},
      {"threads", P::kFinished, "intra-op thread count"},
      {"start_time", P::kFinished, "UTC ISO-8601 start of the first process"},
      {"end_time", P::kAlways, "UTC ISO-8601 end of the process that wrote the result"},
      {"wall_time_s", P::kFinished, "seconds of the process that wrote the result"},
      {"wall_time_total_s", P::kOptional, "seconds over all processes of a resumed run"},
      {"history", P::kFinished,
       "per epoch: lr, train loss/acc (running figures over the epoch's augmented batches in train mode), mean "
       "‖g‖, ‖δ‖, KL (NRS), val and test loss/acc, epoch time, train images/s; the last epoch also "
       "`train_eval_loss`/`train_eval_acc`, the final model on every training sample in eval mode without "
       "augmentation (in-memory datasets only)"},
      {"final", P::kFinished,
       "the last epoch's train/val/test loss and accuracy, `train_eval_*` and `epochs_completed` (never the best "
       "epoch: no selection on test)"},
      {"throughput", P::kFinished,
       "training images/s and ms/step over all steps; `steady_*` without the first min(10, steps per epoch / 5) "
       "steps of a fresh run (`warmup_steps`); `timing` says how (CUDA events on GPUs, host clock on CPU); "
       "evaluation excluded"},
      {"hessian", P::kOptional, "spectrum of the final model, `status` ok or failed ([hessian.md](hessian.md))"},
      {"hessian_curve", P::kOptional, "the spectrum every E epochs, the final one last"},
      {"landscape", P::kOptional,
       "with `run --landscape`: loss and accuracy slices of the final model ([cli.md](cli.md#hessian-and-landscape))"},
      {"distributed", P::kOptional,
       "world size, per-replica batch, perturbation, m, BN rule, backend, launcher, all-reduce cost "
       "([distributed.md](distributed.md))"},
      {"checkpoints", P::kOptional,
       "checkpoints the last process wrote: `written`, `last_bytes`, `mean_write_s`, `max_write_s`"},
      {"resources", P::kOptional, "`peak_rss_mb`: peak resident memory of the process (getrusage)"},
      {"resumes", P::kOptional,
       "each resume: `from_epoch`, `step_in_epoch`, `from_global_step`, `at`, `checkpoint`, and the `git_commit` "
       "and `binary_sha256` of the process that resumed"},
      {"binary_sha256", P::kOptional, "SHA-256 of the executable that wrote the result"},
      {"segments", P::kOptional,
       "every process that trained the run in order (first, then each resume): `from_global_step`, `git_commit`, "
       "`binary_sha256` (null where a checkpoint predates the record)"},
      {"status", P::kAlways, "`ok`, `diverged` or `failed`"},
      {"reason", P::kFailed, "why the run failed or diverged"},
      {"matrix", P::kOptional,
       "protocol runs: protocol name, path and SHA-256, cell name, cell id and its scheme, label, group, resolved "
       "flags, shard ([checking.md](checking.md#protocols))"},
      {"digest", P::kOptional,
       "SHA-256 of the result's compact JSON without this key, stamped when the file is written; every reader "
       "refuses a mismatch"},
  };
  return keys;
}

const std::vector<FinalMetric>& final_metrics() {
  static const std::vector<FinalMetric> m = {{"train_loss", &ResultFinal::train_loss},
                                             {"train_acc", &ResultFinal::train_acc},
                                             {"train_eval_loss", &ResultFinal::train_eval_loss},
                                             {"train_eval_acc", &ResultFinal::train_eval_acc},
                                             {"val_loss", &ResultFinal::val_loss},
                                             {"val_acc", &ResultFinal::val_acc},
                                             {"test_loss", &ResultFinal::test_loss},
                                             {"test_acc", &ResultFinal::test_acc}};
  return m;
}

std::string result_keys_markdown() {
  std::string md = "| key | in | meaning |\n|---|---|---|\n";
  for (const auto& k : result_keys()) {
    const char* in = k.presence == KeyPresence::kAlways     ? "every result"
                     : k.presence == KeyPresence::kFinished ? "ok, diverged"
                     : k.presence == KeyPresence::kFailed   ? "failed (optional otherwise)"
                                                            : "optional";
    md += std::string("| `") + k.key + "` | " + in + " | " + k.meaning + " |\n";
  }
  return md;
}

namespace {

std::vector<std::string> keys_present_in(KeyPresence also) {
  std::vector<std::string> out;
  for (const auto& k : result_keys())
    if (k.presence == KeyPresence::kAlways || k.presence == also) out.push_back(k.key);
  return out;
}

}  // namespace

std::vector<std::string> required_result_keys() { return keys_present_in(KeyPresence::kFinished); }
std::vector<std::string> required_failed_result_keys() { return keys_present_in(KeyPresence::kFailed); }

namespace {

// Reads one JSON object's keys with their types checked; every error names
// the file and the dotted key. Refuses keys it was not asked for.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string file, std::string prefix)
      : j_(j), file_(std::move(file)), prefix_(std::move(prefix)) {
    if (!j_.is_object()) fail(prefix_.empty() ? "the result" : name(""), "must be an object");
  }

  bool has(const char* k) const { return j_.contains(k); }
  // The value as it is, once it is there (InputError naming it otherwise).
  const json& raw(const char* k) { return require(k); }

  std::string text(const char* k) {
    const auto& v = require(k);
    if (!v.is_string()) fail(name(k), "must be a string");
    return v.get<std::string>();
  }
  int64_t integer(const char* k) {
    const auto& v = require(k);
    if (!v.is_number_integer()) fail(name(k), "must be an integer");
    return v.get<int64_t>();
  }
  uint64_t unsigned_integer(const char* k) {
    const auto& v = require(k);
    if (!v.is_number_unsigned()) fail(name(k), "must be an integer >= 0");
    return v.get<uint64_t>();
  }
  // A number; null (how JSON writes NaN) reads back as NaN.
  double number(const char* k) {
    const auto& v = require(k);
    if (v.is_null()) return std::nan("");
    if (!v.is_number()) fail(name(k), "must be a number");
    return v.get<double>();
  }
  bool boolean(const char* k) {
    const auto& v = require(k);
    if (!v.is_boolean()) fail(name(k), "must be true or false");
    return v.get<bool>();
  }
  json object(const char* k) {
    const auto& v = require(k);
    if (!v.is_object()) fail(name(k), "must be an object");
    return v;
  }
  std::vector<json> objects(const char* k) {
    const auto& v = require(k);
    if (!v.is_array()) fail(name(k), "must be a list");
    std::vector<json> out;
    for (const auto& e : v) {
      if (!e.is_object()) fail(name(k), "must hold objects");
      out.push_back(e);
    }
    return out;
  }
  // A string or null.
  std::optional<std::string> text_or_null(const char* k) {
    if (require(k).is_null()) return std::nullopt;
    return text(k);
  }
  std::optional<int64_t> integer_or_null(const char* k) {
    if (require(k).is_null()) return std::nullopt;
    return integer(k);
  }

  template <class F>
  auto optional(const char* k, F read) -> std::optional<decltype(read(k))> {
    if (!has(k)) return std::nullopt;
    return read(k);
  }

  ObjectReader nested(const char* k) {
    require(k);
    return ObjectReader(j_.at(k), file_, name(k));
  }
  ObjectReader element(const json& e, const char* k) const { return ObjectReader(e, file_, name(k) + "[]"); }

  // Every key of the object was read: anything else is misspelt or unknown.
  void done() const {
    for (const auto& [k, v] : j_.items())
      if (seen_.count(k) == 0)
        fail(name(k.c_str()), "is not a key of this schema (misspelt, or from a newer nrsbench?)");
  }

  [[noreturn]] void fail(const std::string& what, const std::string& why) const {
    throw InputError(file_ + ": \"" + what + "\" " + why);
  }

 private:
  const json& require(const char* k) {
    if (!j_.contains(k)) fail(name(k), "is missing");
    seen_.insert(k);
    return j_.at(k);
  }
  std::string name(const char* k) const {
    if (prefix_.empty()) return k;
    return *k ? prefix_ + "." + k : prefix_;
  }

  const json& j_;
  std::string file_, prefix_;
  std::set<std::string> seen_;
};

ResultModel read_model(ObjectReader r) {
  ResultModel m{r.text("name"), r.integer("trainable_parameters")};
  r.done();
  return m;
}

ResultDataset read_dataset(ObjectReader r) {
  ResultDataset d;
  d.name = r.text("name");
  d.source = r.text("source");
  d.streamed = r.optional("streamed", [&](const char* k) { return r.boolean(k); });
  d.train_size = r.integer("train_size");
  d.val_size = r.integer("val_size");
  d.test_size = r.integer("test_size");
  d.num_classes = r.integer("num_classes");
  const json& shape = r.raw("shape");
  if (!shape.is_array()) r.fail("dataset.shape", "must be a list of integers");
  for (const auto& v : shape) {
    if (!v.is_number_integer()) r.fail("dataset.shape", "must hold integers");
    d.shape.push_back(v.get<int64_t>());
  }
  d.train_sha256 = r.optional("train_sha256", [&](const char* k) { return r.text(k); });
  r.done();
  return d;
}

ResultFinal read_final(ObjectReader r) {
  ResultFinal f;
  for (const auto& m : final_metrics()) f.*m.member = r.optional(m.key, [&](const char* k) { return r.number(k); });
  f.epochs_completed = r.optional("epochs_completed", [&](const char* k) { return r.integer(k); });
  r.done();
  return f;
}

ResultThroughput read_throughput(ObjectReader r) {
  ResultThroughput t;
  t.train_images_per_s = r.number("train_images_per_s");
  t.ms_per_step = r.number("ms_per_step");
  t.train_time_s = r.number("train_time_s");
  t.steady_images_per_s = r.optional("steady_images_per_s", [&](const char* k) { return r.number(k); });
  t.steady_ms_per_step = r.optional("steady_ms_per_step", [&](const char* k) { return r.number(k); });
  t.warmup_steps = r.optional("warmup_steps", [&](const char* k) { return r.integer(k); });
  t.steps = r.integer("steps");
  t.timing = r.text("timing");
  r.done();
  return t;
}

ResultCheckpoints read_checkpoints(ObjectReader r) {
  ResultCheckpoints c{r.integer("written"), r.integer("last_bytes"), r.number("mean_write_s"), r.number("max_write_s")};
  r.done();
  return c;
}

ResultMatrix read_matrix(ObjectReader r) {
  ResultMatrix m;
  m.protocol = r.text("protocol");
  m.protocol_sha256 = r.text("protocol_sha256");
  m.protocol_path = r.text("protocol_path");
  m.cell = r.text("cell");
  m.cell_id = r.text("cell_id");
  m.cell_id_scheme = r.integer("cell_id_scheme");
  m.cell_id_v1 = r.optional("cell_id_v1", [&](const char* k) { return r.text(k); });
  m.label = r.text("label");
  m.group = r.text("group");
  m.flags = r.object("flags");
  m.shard = r.text("shard");
  r.done();
  return m;
}

// Optional values as JSON: a NaN double is written as null, like every
// other NaN the suite records.
template <class T>
void put(json& j, const char* k, const std::optional<T>& v) {
  if (v) j[k] = *v;
}

json to_json(const ResultDataset& d) {
  json j = {{"name", d.name},         {"source", d.source},       {"train_size", d.train_size},
            {"val_size", d.val_size}, {"test_size", d.test_size}, {"num_classes", d.num_classes},
            {"shape", d.shape}};
  put(j, "streamed", d.streamed);
  put(j, "train_sha256", d.train_sha256);
  return j;
}

json to_json(const ResultFinal& f) {
  json j = json::object();
  for (const auto& m : final_metrics()) put(j, m.key, f.*m.member);
  put(j, "epochs_completed", f.epochs_completed);
  return j;
}

json to_json(const ResultThroughput& t) {
  json j = {{"train_images_per_s", t.train_images_per_s},
            {"ms_per_step", t.ms_per_step},
            {"train_time_s", t.train_time_s},
            {"steps", t.steps},
            {"timing", t.timing}};
  put(j, "steady_images_per_s", t.steady_images_per_s);
  put(j, "steady_ms_per_step", t.steady_ms_per_step);
  put(j, "warmup_steps", t.warmup_steps);
  return j;
}

json to_json(const ResultMatrix& m) {
  json j = {{"protocol", m.protocol},
            {"protocol_sha256", m.protocol_sha256},
            {"protocol_path", m.protocol_path},
            {"cell", m.cell},
            {"cell_id", m.cell_id},
            {"cell_id_scheme", m.cell_id_scheme},
            {"label", m.label},
            {"group", m.group},
            {"flags", m.flags},
            {"shard", m.shard}};
  put(j, "cell_id_v1", m.cell_id_v1);
  return j;
}

json or_null(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json RunResult::to_json() const {
  json j = {{"schema_version", schema_version},
            {"suite_version", suite_version},
            {"git_commit", git_commit},
            {"command_line", command_line},
            {"config", config},
            {"seed", seed},
            {"variant", variant},
            {"environment", environment},
            {"end_time", end_time},
            {"status", nrs::to_string(status)}};
  put(j, "optimizer", optimizer);
  put(j, "optimizer_summary", optimizer_summary);
  put(j, "loss_scale", loss_scale);
  if (model) j["model"] = {{"name", model->name}, {"trainable_parameters", model->trainable_parameters}};
  if (dataset) j["dataset"] = nrs::to_json(*dataset);
  put(j, "device", device);
  put(j, "threads", threads);
  put(j, "start_time", start_time);
  put(j, "wall_time_s", wall_time_s);
  put(j, "wall_time_total_s", wall_time_total_s);
  put(j, "history", history);
  if (final) j["final"] = nrs::to_json(*final);
  if (throughput) j["throughput"] = nrs::to_json(*throughput);
  put(j, "hessian", hessian);
  put(j, "hessian_curve", hessian_curve);
  put(j, "landscape", landscape);
  put(j, "distributed", distributed);
  if (checkpoints)
    j["checkpoints"] = {{"written", checkpoints->written},
                        {"last_bytes", checkpoints->last_bytes},
                        {"mean_write_s", checkpoints->mean_write_s},
                        {"max_write_s", checkpoints->max_write_s}};
  if (peak_rss_mb) j["resources"] = {{"peak_rss_mb", *peak_rss_mb}};
  put(j, "resumes", resumes);
  put(j, "binary_sha256", binary_sha256);
  if (segments) {
    json a = json::array();
    for (const auto& s : *segments)
      a.push_back({{"from_global_step", s.from_global_step ? json(*s.from_global_step) : json(nullptr)},
                   {"git_commit", or_null(s.git_commit)},
                   {"binary_sha256", or_null(s.binary_sha256)}});
    j["segments"] = a;
  }
  put(j, "reason", reason);
  if (matrix) j["matrix"] = nrs::to_json(*matrix);
  put(j, "digest", digest);
  return j;
}

RunResult result_from_json(const json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file + ": not an nrsbench result (expected a JSON object)");
  ObjectReader r(j, file, "");
  RunResult x;
  const std::string status = r.text("status");
  try {
    x.status = parse_run_status(status);
  } catch (const std::invalid_argument&) {
    r.fail("status", std::string("is '") + status + "': expected ok, diverged or failed");
  }
  // The keys this kind of result must carry, from the one table.
  for (const auto& k : x.status == RunStatus::kFailed ? required_failed_result_keys() : required_result_keys())
    if (!j.contains(k))
      throw InputError(file + ": a " + status + " result of schema " + std::to_string(kResultsSchemaVersion) +
                       " needs \"" + k + "\"");
  auto text = [&](const char* k) { return r.text(k); };
  auto object = [&](const char* k) { return r.object(k); };
  auto number = [&](const char* k) { return r.number(k); };
  x.schema_version = r.integer("schema_version");
  x.suite_version = r.text("suite_version");
  x.git_commit = r.text("git_commit");
  x.command_line = r.text("command_line");
  x.config = r.object("config");
  x.seed = r.unsigned_integer("seed");
  x.variant = r.text("variant");
  x.optimizer = r.optional("optimizer", object);
  x.optimizer_summary = r.optional("optimizer_summary", object);
  x.loss_scale = r.optional("loss_scale", object);
  x.model = r.optional("model", [&](const char* k) { return read_model(r.nested(k)); });
  x.dataset = r.optional("dataset", [&](const char* k) { return read_dataset(r.nested(k)); });
  x.device = r.optional("device", text);
  x.environment = r.object("environment");
  x.threads = r.optional("threads", [&](const char* k) { return r.integer(k); });
  x.start_time = r.optional("start_time", text);
  x.end_time = r.text("end_time");
  x.wall_time_s = r.optional("wall_time_s", number);
  x.wall_time_total_s = r.optional("wall_time_total_s", number);
  x.history = r.optional("history", [&](const char* k) { return r.objects(k); });
  x.final = r.optional("final", [&](const char* k) { return read_final(r.nested(k)); });
  x.throughput = r.optional("throughput", [&](const char* k) { return read_throughput(r.nested(k)); });
  x.hessian = r.optional("hessian", object);
  x.hessian_curve = r.optional("hessian_curve", [&](const char* k) {
    const json& v = r.raw(k);
    if (!v.is_array()) r.fail(k, "must be a list");
    return v;
  });
  x.landscape = r.optional("landscape", object);
  x.distributed = r.optional("distributed", object);
  x.checkpoints = r.optional("checkpoints", [&](const char* k) { return read_checkpoints(r.nested(k)); });
  x.peak_rss_mb = r.optional("resources", [&](const char* k) {
    auto res = r.nested(k);
    const double v = res.number("peak_rss_mb");
    res.done();
    return v;
  });
  x.resumes = r.optional("resumes", [&](const char* k) { return r.objects(k); });
  x.binary_sha256 = r.optional("binary_sha256", text);
  x.segments = r.optional("segments", [&](const char* k) {
    std::vector<ResultSegment> out;
    for (const auto& e : r.objects(k)) {
      auto s = r.element(e, k);
      out.push_back(
          {s.integer_or_null("from_global_step"), s.text_or_null("git_commit"), s.text_or_null("binary_sha256")});
      s.done();
    }
    return out;
  });
  x.reason = r.optional("reason", text);
  x.matrix = r.optional("matrix", [&](const char* k) { return read_matrix(r.nested(k)); });
  x.digest = r.optional("digest", text);
  r.done();
  return x;
}

RunResult read_run_result(const json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file + ": not an nrsbench result (expected a JSON object)");
  try {
    return result_from_json(upgrade_result(j), file);
  } catch (const InputError&) {
    throw;
  } catch (const std::invalid_argument& e) {  // a schema this version does not read
    throw InputError(file + ": " + e.what());
  }
}

void write_result_atomic(const std::string& path, const RunResult& r) { write_result_atomic(path, r.to_json()); }

}  // namespace nrs
