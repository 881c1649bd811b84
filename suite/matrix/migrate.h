// `nrsbench migrate-ids`: brings a results directory written under an older
// cell-id scheme to the current one, verifying each file first. Results are
// matched to cells by ids recomputed from their stored configuration, so
// what changes is the ids stored in the files (result `matrix.cell_id` and
// the protocol manifests), which aggregation and reports read. Every result
// leaves with its digest stamped (results.h); one whose stored digest does not
// match its content is refused, like a stored id that does not follow.
#pragma once
#include <string>

namespace nrs::matrix {

struct MigrationSummary {
  size_t results = 0, results_changed = 0, digests_stamped = 0;
  size_t manifests = 0, manifest_cells_changed = 0;
};

// Throws std::invalid_argument naming the file when a result's stored id does
// not follow from its configuration under the scheme it claims (hand edit or
// foreign file): nothing is written then. With dry_run nothing is written.
MigrationSummary migrate_ids(const std::string& dir, bool dry_run);

}  // namespace nrs::matrix
