/**
 * Axis ticks at "nice" values (1, 2 or 5 × 10^k apart) and their labels, for the curve plots.
 */

/** The nice step (1, 2 or 5 × 10^k) closest to `rough`, at least `minStep` when given. */
export function niceStep(rough: number, minStep = 0): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = rough / power;
  const step = (mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10) * power;
  return Math.max(step, minStep);
}

/**
 * Ticks inside [min, max] at multiples of a nice step chosen to give about `count` of them.
 * @param min lower end, finite
 * @param max upper end, finite and above `min`
 * @param count the number of ticks wanted (roughly)
 * @param minStep the smallest step allowed (1 for integer axes such as epochs)
 */
export function niceTicks(min: number, max: number, count = 6, minStep = 0): { ticks: number[]; step: number } {
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) {
    throw new RangeError(`ticks need a finite range with min < max, got [${min}, ${max}]`);
  }
  const step = niceStep((max - min) / Math.max(1, count), minStep);
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const decimals = stepDecimals(step);
  const ticks: number[] = [];
  // Multiples of the step rounded to its decimals print as 0.3, not 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(decimals > 0 ? Number((i * step).toFixed(decimals)) : i * step);
  return { ticks, step };
}

/** Labels for ticks `step` apart: as many decimals as the step needs, exponents for huge or tiny values. */
export function formatTicks(ticks: readonly number[], step: number): string[] {
  const largest = Math.max(...ticks.map(Math.abs));
  if (largest >= 1e7 || (largest > 0 && largest < 1e-3)) {
    const digits = Math.max(0, Math.floor(Math.log10(largest)) - Math.floor(Math.log10(step) + 1e-9));
    return ticks.map((t) => (t === 0 ? '0' : t.toExponential(Math.min(digits, 6)).replace('e+', 'e')));
  }
  const decimals = stepDecimals(step);
  return ticks.map((t) => {
    const label = t.toFixed(decimals);
    return /^-0(\.0*)?$/.test(label) ? label.slice(1) : label;
  });
}

/** Decimals needed to print multiples of `step` exactly (0.25 → 2, 5 → 0). */
function stepDecimals(step: number): number {
  for (let decimals = 0; decimals < 15; decimals++) {
    if (Math.abs(Number(step.toFixed(decimals)) - step) <= step * 1e-9) return decimals;
  }
  return 15;
}
