#include "suite/stats/claim_test.h"
#include "suite/stats/distributions.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nrs::stats {

std::optional<ClaimKind> parse_claim_kind(const std::string& s) {
  if (s == "superiority") return ClaimKind::kSuperiority;
  if (s == "non-inferiority") return ClaimKind::kNonInferiority;
  if (s == "equivalence") return ClaimKind::kEquivalence;
  return std::nullopt;
}

std::string to_string(ClaimKind k) {
  switch (k) {
    case ClaimKind::kSuperiority:
      return "superiority";
    case ClaimKind::kNonInferiority:
      return "non-inferiority";
    case ClaimKind::kEquivalence:
      return "equivalence";
  }
  return "?";
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::kSupported:
      return "supported";
    case Verdict::kContradicted:
      return "contradicted";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "?";
}

ComparisonTest test_comparison(ClaimKind kind, double margin, int better, const Sample& treatment,
                               const Sample& comparator) {
  if (kind != ClaimKind::kSuperiority && !(margin > 0))
    throw std::invalid_argument(to_string(kind) + " needs a positive margin");
  ComparisonTest c;
  c.kind = kind;
  c.margin = kind == ClaimKind::kSuperiority ? 0.0 : margin;
  c.better = better >= 0 ? +1 : -1;
  c.raw = welch(treatment, comparator);
  c.oriented = c.better * c.raw.estimate;
  const double se = c.raw.se, df = c.raw.df, d = c.oriented;
  auto above = [&](double x) { return 1 - t_cdf((d - x) / se, df); };  // p of "d <= x" vs "d > x"
  auto below = [&](double x) { return t_cdf((d - x) / se, df); };      // p of "d >= x" vs "d < x"
  switch (kind) {
    case ClaimKind::kSuperiority:
      c.p_support = above(0);
      c.p_contradict = below(0);
      break;
    case ClaimKind::kNonInferiority:
      c.p_support = above(-c.margin);
      c.p_contradict = below(-c.margin);
      break;
    case ClaimKind::kEquivalence:
      c.p_support = std::max(above(-c.margin), below(c.margin));                        // TOST
      c.p_contradict = std::min(1.0, 2 * std::min(below(-c.margin), above(c.margin)));  // outside, either side
      break;
  }
  return c;
}

double claim_mde(ClaimKind kind, double se, double df, double alpha) {
  if (kind != ClaimKind::kEquivalence) return minimum_detectable_effect(se, df, alpha, 0.8);
  // TOST at a true difference of 0 fails when either one-sided test does:
  // power ~ 1 - 2 P(T'(margin/se) <= t_crit); the margin where that is 0.8.
  return minimum_detectable_effect(se, df, alpha, 0.9);
}

double ComparisonTest::mde(double alpha) const { return claim_mde(kind, raw.se, raw.df, alpha); }

Verdict decide(double p_support_adjusted, double p_contradict_adjusted, double alpha) {
  if (p_support_adjusted < alpha) return Verdict::kSupported;
  if (p_contradict_adjusted < alpha) return Verdict::kContradicted;
  return Verdict::kInconclusive;
}

}  // namespace nrs::stats
