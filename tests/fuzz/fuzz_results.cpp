// libFuzzer target: a results directory holding one fuzzed *.json (suite/
// results.*, suite/matrix/aggregate.*) beside a valid SGD result, so that the
// fuzzed run also meets the cross-cell steps (cost ratio, time to target):
// load_results with its schema upgrade, then the aggregation and board keys
// that `nrsbench table`, `leaderboard` and `check` all start from.
#include "suite/matrix/aggregate.h"
#include "tests/fuzz/fake_result.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto dir = nrs::fuzz::scratch_dir() / "results";
  if (!std::filesystem::exists(dir / "sgd-s7.json")) {
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "sgd-s7.json") << nrs::fuzz::fake_result("sgd", 7, 0.9).dump();
  }
  nrs::fuzz::write_input(data, size, "results/run-s0.json");
  nrs::fuzz::expect_input_error([&] {
    const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(dir.string()));
    for (const auto& cell : agg.cells) nrs::matrix::board_key(cell);
    agg.to_json();
  });
  return 0;
}
