// Holm's step-down adjustment of a family of p-values: the family-wise error
// rate stays at most alpha when each hypothesis is rejected at adjusted p < alpha.
#pragma once
#include <vector>

namespace nrs::stats {

// Adjusted p-values, in the input's order: with p sorted ascending,
// p_adj(i) = max_{j <= i} min(1, (m - j + 1) p(j)) (1-based).
std::vector<double> holm_adjust(const std::vector<double>& p);

}  // namespace nrs::stats
