// libFuzzer target: protocol files (suite/matrix/protocol.*): JSON parsing,
// the axes/groups/grid/overrides expansion, and each cell's run flags
// resolved and validated, as `nrsbench matrix --protocol FILE` does first.
#include "suite/matrix/protocol.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = nrs::fuzz::write_input(data, size, "protocol.json");
  nrs::fuzz::expect_input_error([&] {
    auto p = nrs::matrix::load_protocol(path);
    const auto items = nrs::matrix::work_items(p);
    if (items.size() != p.cells.size() * p.seeds.size()) std::abort();
  });
  return 0;
}
