// A claim about two groups (a method against its comparator) tested three
// ways. The difference d is oriented so that d > 0 means the treatment is
// better (for "lower is better" metrics, d = comparator - treatment).
//
//   superiority      supported: d > 0 beyond the noise; contradicted: d < 0 beyond it
//   non-inferiority  supported: d > -margin beyond the noise; contradicted: d < -margin beyond it
//   equivalence      supported: -margin < d < margin (TOST); contradicted: |d| > margin beyond the noise
//
// Each comparison yields two one-sided p-values, for support and for
// contradiction. A family (a study's claims) adjusts each set by Holm, and a
// claim is supported (contradicted) when its adjusted support (contradiction)
// p is below alpha_one_sided = 0.025: each direction's family-wise error stays
// at most 2.5%, both together at most 5%, matching two-sided 95% intervals.
// Anything else is inconclusive.
#pragma once
#include "suite/stats/welch.h"

#include <optional>
#include <string>
#include <vector>

namespace nrs::stats {

enum class ClaimKind { kSuperiority, kNonInferiority, kEquivalence };
enum class Verdict { kSupported, kContradicted, kInconclusive };

// "superiority" | "non-inferiority" | "equivalence"; nullopt otherwise.
std::optional<ClaimKind> parse_claim_kind(const std::string& s);
std::string to_string(ClaimKind k);
std::string to_string(Verdict v);  // "supported" | "contradicted" | "inconclusive"

constexpr double kAlphaOneSided = 0.025;

struct ComparisonTest {
  ClaimKind kind = ClaimKind::kSuperiority;
  double margin = 0;    // non-inferiority and equivalence, in the metric's units
  int better = +1;      // +1: higher is better; -1: lower is better
  Difference raw;       // treatment - comparator, in the metric's own direction
  double oriented = 0;  // better * raw.estimate
  double p_support = 1, p_contradict = 1;
  // The smallest true effect this comparison detects with 80% power at a
  // one-sided level: for superiority the oriented difference, for
  // non-inferiority the distance above -margin, for equivalence the margin
  // TOST would need at a true difference of 0. The observed sds stand in for
  // the true ones.
  double mde(double alpha) const;
};

// The MDE above for a comparison of `kind` whose difference has standard
// error `se` on `df` degrees of freedom, at one-sided level `alpha`.
double claim_mde(ClaimKind kind, double se, double df, double alpha);

// Throws std::invalid_argument (from welch) when the two samples cannot be
// compared, and when a margin is needed but not positive.
ComparisonTest test_comparison(ClaimKind kind, double margin, int better, const Sample& treatment,
                               const Sample& comparator);

// The verdict from the family-adjusted p-values.
Verdict decide(double p_support_adjusted, double p_contradict_adjusted, double alpha = kAlphaOneSided);

}  // namespace nrs::stats
