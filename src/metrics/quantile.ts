/** Quantiles of a sample, as numpy.percentile's default: linear interpolation between order statistics. */

/**
 * @param sorted values in ascending order [n], n ≥ 1
 * @param p the quantile's level in [0, 1]
 */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const k = p * (sorted.length - 1);
  const lo = Math.floor(k);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (k - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The finite values of a sample, ascending. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).filter(Number.isFinite).sort();
}

/** What a box plot of a sample shows. */
export interface BoxStats {
  p05: number;
  q1: number;
  median: number;
  q3: number;
  p95: number;
  mean: number;
}

/** Quartiles, 5th and 95th percentiles and mean of the finite values (zeros when there are none). */
export function boxStats(values: ArrayLike<number>): BoxStats {
  const sorted = sortedFinite(values);
  const at = (p: number) => (sorted.length === 0 ? 0 : quantileOfSorted(sorted, p));
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { p05: at(0.05), q1: at(0.25), median: at(0.5), q3: at(0.75), p95: at(0.95), mean };
}
