// Results files: atomic JSON writes and the schema-1 fields every run carries.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nrs {

// Schema 2 (2026-11): config.hessian has no top_k (hessian_top_k is the
// count); config.sgd.wd_mode says "optimizer" for what schema 1 called
// "decoupled" and "loss" for "l2"; results add checkpoints, resumes,
// resources, wall_time_total_s and dataset.train_sha256. Schema 1 files are
// read through upgrade_result.
constexpr int kResultsSchemaVersion = 2;

// A result of any schema this version reads, brought to the current schema in
// memory (readers never rewrite files). Throws std::invalid_argument for a
// schema it does not know.
nlohmann::json upgrade_result(nlohmann::json r);

// Writes `j` to `path` atomically: a temporary file in the same directory,
// flushed and fsync'ed, then rename(2). A crash leaves either the old file or
// the complete new one, never a partial file. Creates parent directories.
void write_json_atomic(const std::string& path, const nlohmann::json& j);
// A result's digest: SHA-256 of its compact JSON form without the "digest"
// key, so any change to a number, the configuration or a name changes it.
std::string result_digest(const nlohmann::json& result);
// Writes a run's result atomically with its digest stamped in ("digest").
void write_result_atomic(const std::string& path, nlohmann::json result);
// What a result's stored digest says: absent (files before 2026-12-02), or
// whether it matches the content.
enum class DigestCheck { kAbsent, kMatches, kDiffers };
DigestCheck check_digest(const nlohmann::json& result);
// The same for any text (leaderboard pages).
void write_text_atomic(const std::string& path, const std::string& text);

// Reads a JSON file; throws std::runtime_error naming the file on failure.
nlohmann::json read_json_file(const std::string& path);

// Provenance shared by results and reports: suite version, git commit,
// LibTorch version, build type, host, CPU model, GPU name when used.
nlohmann::json environment_info(const std::string& device);

std::string iso8601_now();

}  // namespace nrs
