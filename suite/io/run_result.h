// One run's result, typed: what `nrsbench run` and the matrix runner write and
// what every reader parses. The writers fill a RunResult and write it through
// to_json (JSON only at the edge); readers parse files with read_run_result,
// which brings older schemas to the current one and names the file and the key
// of anything missing, misspelt or of another type.
//
// Blocks that are reports of their own (config, optimizer, environment, the
// Hessian and landscape reports, the distributed record, epoch rows) stay JSON
// documents here: the configuration is hashed into the cell id as written, and
// the reports carry their own settings. (The Hessian report is typed where it
// is made, hessian/hessian_report.h; this layer sits below it and keeps the
// document it writes.) Every top-level key, with where it must
// appear, is declared once in result_keys() (docs/results-schema.md is printed
// from it by `nrsbench list result-keys`).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nrs {

enum class RunStatus { kOk, kDiverged, kFailed };
const char* to_string(RunStatus s);
// Throws std::invalid_argument naming the accepted words.
RunStatus parse_run_status(const std::string& s);

// Where a top-level key must appear.
enum class KeyPresence {
  kAlways,    // in every result, failed ones included
  kFinished,  // in every ok or diverged result
  kFailed,    // in every failed result (optional otherwise)
  kOptional,  // only where it applies (see its meaning)
};

struct ResultKey {
  const char* key;
  KeyPresence presence;
  const char* meaning;  // Markdown, one line
};
// Every top-level key a result may carry, in the order of the schema page.
const std::vector<ResultKey>& result_keys();
// docs/results-schema.md's key table, generated from result_keys().
std::string result_keys_markdown();
// The keys an ok or diverged result must carry (kAlways and kFinished), and
// those a failed one must carry (kAlways and kFailed).
std::vector<std::string> required_result_keys();
std::vector<std::string> required_failed_result_keys();

struct ResultModel {
  std::string name;
  int64_t trainable_parameters = 0;
};

struct ResultDataset {
  std::string name, source;
  std::optional<bool> streamed;  // older results lack it
  int64_t train_size = 0, val_size = 0, test_size = 0, num_classes = 0;
  std::vector<int64_t> shape;               // channels, height, width
  std::optional<std::string> train_sha256;  // schema 2
};

// The last epoch's numbers (never the best epoch's). Each is absent when the
// last epoch did not measure it (no validation split, streamed training data).
struct ResultFinal {
  std::optional<double> train_loss, train_acc, train_eval_loss, train_eval_acc, val_loss, val_acc, test_loss, test_acc;
  std::optional<int64_t> epochs_completed;
};
// Its numbers by key, the same key as in a history row: the writer, the
// reader and the trainer's builder walk this list.
struct FinalMetric {
  const char* key;
  std::optional<double> ResultFinal::*member;
};
const std::vector<FinalMetric>& final_metrics();

struct ResultThroughput {
  double train_images_per_s = 0, ms_per_step = 0, train_time_s = 0;
  std::optional<double> steady_images_per_s, steady_ms_per_step;  // older results lack them
  std::optional<int64_t> warmup_steps;
  int64_t steps = 0;
  std::string timing;
};

struct ResultCheckpoints {
  int64_t written = 0, last_bytes = 0;
  double mean_write_s = 0, max_write_s = 0;
};

// One process that trained the run: the first, then each resume. Null where a
// checkpoint predates the record.
struct ResultSegment {
  std::optional<int64_t> from_global_step;
  std::optional<std::string> git_commit, binary_sha256;
};

// The matrix runner's block: which protocol cell this run is.
struct ResultMatrix {
  std::string protocol, protocol_sha256, protocol_path, cell, cell_id, label, group, shard;
  int64_t cell_id_scheme = 0;
  std::optional<std::string> cell_id_v1;  // results migrated from scheme 1
  nlohmann::json flags = nlohmann::json::object();
};

struct RunResult {
  int64_t schema_version = 0;
  std::string suite_version, git_commit, command_line;
  nlohmann::json config = nlohmann::json::object();
  uint64_t seed = 0;
  std::string variant;
  std::optional<nlohmann::json> optimizer, optimizer_summary, loss_scale;
  std::optional<ResultModel> model;
  std::optional<ResultDataset> dataset;
  std::optional<std::string> device;
  nlohmann::json environment = nlohmann::json::object();
  std::optional<int64_t> threads;
  std::optional<std::string> start_time;
  std::string end_time;
  std::optional<double> wall_time_s, wall_time_total_s;
  std::optional<std::vector<nlohmann::json>> history;  // one row per epoch
  std::optional<ResultFinal> final;
  std::optional<ResultThroughput> throughput;
  std::optional<nlohmann::json> hessian, hessian_curve, landscape, distributed;
  std::optional<ResultCheckpoints> checkpoints;
  std::optional<double> peak_rss_mb;                   // "resources"
  std::optional<std::vector<nlohmann::json>> resumes;  // each resume's record
  std::optional<std::string> binary_sha256;
  std::optional<std::vector<ResultSegment>> segments;
  RunStatus status = RunStatus::kOk;
  std::optional<std::string> reason;
  std::optional<ResultMatrix> matrix;
  std::optional<std::string> digest;  // as stored; the writer stamps a fresh one

  nlohmann::json to_json() const;
  bool ok() const { return status == RunStatus::kOk; }
};

// A result of the current schema. Throws InputError naming `file` and the key
// for a missing required key, an unknown key, or a value of another type.
RunResult result_from_json(const nlohmann::json& j, const std::string& file);
// A result of any schema this version reads (upgrade_result first).
RunResult read_run_result(const nlohmann::json& j, const std::string& file);

// Writes `r` atomically with its digest stamped in (write_result_atomic of
// results.h).
void write_result_atomic(const std::string& path, const RunResult& r);

}  // namespace nrs
