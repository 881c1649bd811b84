// A minimal schema-1 result as the runner writes it (the fields aggregation
// and the checker read), for the fuzz targets that need real cells beside
// the fuzzed input.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace nrs::fuzz {

inline nlohmann::json fake_result(const std::string& optimizer, uint64_t seed, double test_acc) {
  nlohmann::json config = {{"dataset", "fashion-mnist"},
                           {"model", "small-cnn"},
                           {"epochs", 5},
                           {"batch_size", 128},
                           {"device", "cpu"},
                           {"precision", "fp32"},
                           {"channels_last", false},
                           {"threads", 1},
                           {"seed", seed},
                           {"optimizer", {{"name", optimizer}}},
                           {"augment", {{"mode", "basic"}}}};
  return {{"schema_version", 1},
          {"suite_version", "fuzz"},
          {"command_line", "fuzz"},
          {"environment", nlohmann::json::object()},
          {"threads", 1},
          {"start_time", "2026-01-01T00:00:00Z"},
          {"end_time", "2026-01-01T00:01:00Z"},
          {"wall_time_s", 60.0},
          {"config", config},
          {"seed", seed},
          {"variant", optimizer},
          {"status", "ok"},
          {"git_commit", "fuzz"},
          {"device", "cpu: fuzz"},
          {"final", {{"test_acc", test_acc}}},
          {"hessian", {{"lambda_max", 10.0 + test_acc}}},
          {"history", {{{"epoch", 1}, {"test_acc", test_acc}, {"epoch_time_s", 1.5}}}},
          {"optimizer", {{"name", optimizer}, {"variant", optimizer}}},
          {"model", {{"name", "small-cnn"}, {"trainable_parameters", 1000}}},
          {"dataset",
           {{"name", "fashion-mnist"},
            {"source", "fuzz"},
            {"train_size", 1000},
            {"val_size", 0},
            {"test_size", 1000},
            {"num_classes", 10},
            {"shape", {1, 28, 28}}}},
          {"throughput",
           {{"ms_per_step", 5.0},
            {"train_images_per_s", 200.0},
            {"train_time_s", 0.5},
            {"steps", 100},
            {"timing", "fuzz"}}}};
}

}  // namespace nrs::fuzz
