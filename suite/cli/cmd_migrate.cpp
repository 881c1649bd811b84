// `nrsbench migrate-ids`: re-stamps a results directory with current cell ids.
#include "suite/cli/cli_common.h"
#include "suite/matrix/migrate.h"

#include <cstdio>

namespace nrs::cli {

int cmd_migrate_ids(const std::vector<std::string>& args) {
  std::string dir;
  bool dry_run = false;
  po::options_description d("migrate-ids options");
  // clang-format off
  d.add_options()
    ("results", po::value(&dir), "results directory (results of `nrsbench run --protocol`); required")
    ("dry-run", po::bool_switch(&dry_run), "verify and count, write nothing");
  // clang-format on
  po::variables_map vm;
  if (!parse_or_help("migrate-ids", "--results DIR [--dry-run]", d, args, vm)) return 0;
  if (dir.empty()) throw UsageError("--results: required (see nrsbench migrate-ids --help)");
  const auto s = matrix::migrate_ids(dir, dry_run);
  std::printf("%s: %zu results verified, %zu re-stamped, %zu digests stamped; %zu manifests, %zu cell ids changed%s\n",
              dir.c_str(), s.results, s.results_changed, s.digests_stamped, s.manifests, s.manifest_cells_changed,
              dry_run ? " (dry run: nothing written)" : "");
  return 0;
}

}  // namespace nrs::cli
