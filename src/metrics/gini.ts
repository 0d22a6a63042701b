/**
 * The Gini index of sparsity (Hurley & Rickard 2009; math.md, "Sparsity: Gini index"): 0 for a
 * vector of equal magnitudes, approaching 1 as the mass concentrates on one entry (1 − 1/H for a
 * one-hot vector of length H). The paper reports its mean ± SD over posterior samples.
 */

/**
 * Gini index of the magnitudes |c|: with c sorted ascending (k = 1..H),
 * Gini = 1 − 2 Σ_k (c_k/‖c‖₁)(H − k + ½)/H.
 * The all-zero vector (and the empty one) has no sparsity to speak of and is given 0.
 * @param c a vector [H]; signs are ignored
 */
export function gini(c: ArrayLike<number>): number {
  const h = c.length;
  const sorted = c instanceof Float32Array ? sortedMagnitudes32(c) : sortedMagnitudes(c);
  let l1 = 0;
  for (const value of sorted) l1 += value;
  if (l1 === 0) return 0;
  let sum = 0;
  // With 0-based k the weight (H − k + ½) of the formula becomes (H − k − ½).
  for (let k = 0; k < h; k++) sum += (sorted[k]! / l1) * (h - k - 0.5);
  return 1 - (2 * sum) / h;
}

function sortedMagnitudes(c: ArrayLike<number>): Float64Array {
  const sorted = new Float64Array(c.length);
  for (let k = 0; k < c.length; k++) sorted[k] = Math.abs(c[k]!);
  return sorted.sort();
}

/** The same for float32 values: their magnitudes sort as their bit patterns do as unsigned integers, about twice as fast. */
function sortedMagnitudes32(c: Float32Array): Float32Array {
  const sorted = new Float32Array(c.length);
  for (let k = 0; k < c.length; k++) sorted[k] = Math.abs(c[k]!);
  new Uint32Array(sorted.buffer).sort();
  return sorted;
}

/**
 * Mean and standard deviation of the Gini index over rows.
 * @param samples vectors [rows, cols] row-major, e.g. posterior samples z
 * @returns sd is the population SD (divides by rows), 0 for a single row
 */
export function giniStats(samples: ArrayLike<number>, rows: number, cols: number): { mean: number; sd: number } {
  if (samples.length !== rows * cols)
    throw new RangeError(`giniStats: ${samples.length} values do not fill [${rows}, ${cols}]`);
  if (rows === 0) return { mean: NaN, sd: NaN };
  const values = new Float64Array(rows);
  const row = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) row[k] = samples[r * cols + k]!;
    values[r] = gini(row);
  }
  return meanAndSd(values);
}

/** Mean and population SD (divides by the count) of `values`, summed in index order. */
export function meanAndSd(values: ArrayLike<number>): { mean: number; sd: number } {
  const rows = values.length;
  let mean = 0;
  for (let r = 0; r < rows; r++) mean += values[r]!;
  mean /= rows;
  let squares = 0;
  for (let r = 0; r < rows; r++) squares += (values[r]! - mean) ** 2;
  return { mean, sd: Math.sqrt(squares / rows) };
}
