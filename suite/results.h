// Results files: atomic JSON writes and the schema-1 fields every run carries.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nrs {

constexpr int kResultsSchemaVersion = 1;

// Writes `j` to `path` atomically: a temporary file in the same directory,
// flushed and fsync'ed, then rename(2). A crash leaves either the old file or
// the complete new one, never a partial file. Creates parent directories.
void write_json_atomic(const std::string& path, const nlohmann::json& j);
// The same for any text (leaderboard pages).
void write_text_atomic(const std::string& path, const std::string& text);

// Reads a JSON file; throws std::runtime_error naming the file on failure.
nlohmann::json read_json_file(const std::string& path);

// Keys every results file must carry (README documents each).
const std::vector<std::string>& required_result_keys();

// Provenance shared by results and reports: suite version, git commit,
// LibTorch version, build type, host, CPU model, GPU name when used.
nlohmann::json environment_info(const std::string& device);

std::string iso8601_now();

}  // namespace nrs
