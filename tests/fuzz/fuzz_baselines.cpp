// libFuzzer target: baseline/claims files (suite/matrix/check.*), as
// `nrsbench check --baselines FILE` reads them, checked against a fixed
// aggregate of two hand-made results (SGD and NRS, 2 seeds each) so
// that entries and claims find cells to compare with.
#include "suite/io/results.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "tests/fuzz/fake_result.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using nlohmann::json;

const nrs::matrix::Aggregate& fixed_aggregate() {
  static const nrs::matrix::Aggregate agg = [] {
    nrs::matrix::ResultSet rs;
    int i = 0;
    for (const char* opt : {"sgd", "nrs"})
      for (uint64_t seed : {0, 1}) {
        auto r =
            nrs::upgrade_result(nrs::fuzz::fake_result(opt, seed, 0.90 + 0.01 * seed + (opt[0] == 'n' ? 0.005 : 0.0)));
        rs.runs.push_back(nrs::matrix::read_run_record(r, "r" + std::to_string(i++) + ".json"));
      }
    return nrs::matrix::aggregate(rs);
  }();
  return agg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& agg = fixed_aggregate();
  const auto path = nrs::fuzz::write_input(data, size, "baseline.json");
  nrs::fuzz::expect_input_error([&] {
    const auto b = nrs::matrix::load_baseline_file(path);
    nrs::matrix::check(agg, {b}, nrs::matrix::CheckOptions{});
  });
  return 0;
}
