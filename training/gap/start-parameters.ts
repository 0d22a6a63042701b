/**
 * The refinement's starting point: the encoder's posteriors written in the parameters L-BFGS moves
 * (per-point/posterior-variables.ts), for the same family or for the full one. A full-covariance
 * start from a low-rank posterior is L = chol(VVᵀ + diag(d²)), in float64 per point.
 */
import { packedIndex, spreadParameter, type PointArrays, type PointLayout } from '../per-point/posterior-variables.ts';
import type { PosteriorFamily } from '../objective/posterior.ts';
import type { PosteriorArrays } from '../objective/posterior-arrays.ts';

/**
 * s₀ of the spread parameterisation: below the data's scale (as for training) and below half the
 * smallest spread of the start, so that every start is representable (the low-rank d is s₀ + spread).
 * @param x data [B, D] @param minSpread the smallest τ, d or L_hh of the start
 */
export function spreadScaleFor(x: Float32Array, minSpread: number): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, x.length)) || 1;
  return Math.min(0.005 * rms, 0.5 * minSpread);
}

/** The smallest spread of the posteriors (τ, d, or |L_hh|). @param h latents H */
export function smallestSpread(q: PosteriorArrays, h: number): number {
  if (q.family === 'diag') return minimum(q.std);
  if (q.family === 'lowrank') return minimum(q.diagStd);
  let m = Infinity;
  for (let i = 0; i < q.mean.length / h; i++)
    for (let k = 0; k < h; k++) m = Math.min(m, Math.abs(q.chol[i * h * h + k * h + k]!));
  return m;
}

function minimum(a: Float32Array): number {
  let m = Infinity;
  for (const v of a) m = Math.min(m, v);
  return m;
}

/**
 * @param q the start [B, ...] (any family)
 * @param target the family to refine in: q's own, or 'full'
 */
export function startArrays(q: PosteriorArrays, target: PosteriorFamily, layout: PointLayout): PointArrays {
  const { h, spreadScale: s0 } = layout;
  const b = q.mean.length / h;
  const u = (s: number) => spreadParameter(s, s0);
  if (target !== 'full') {
    if (q.family !== target) throw new Error(`a ${q.family} posterior refines as ${q.family} or full, not ${target}`);
    if (q.family === 'diag') return [Float32Array.from(q.mean), Float32Array.from(q.std, u)];
    if (q.family === 'lowrank')
      return [Float32Array.from(q.mean), Float32Array.from(q.factor), Float32Array.from(q.diagStd, (d) => u(d - s0))];
  }
  const lower = new Float32Array((b * h * (h - 1)) / 2);
  const spread = new Float32Array(b * h);
  const packed = (h * (h - 1)) / 2;
  for (let i = 0; i < b; i++) {
    const l = choleskyOf(q, i, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < r; c++) lower[i * packed + packedIndex(r, c)] = l[r * h + c]!;
      spread[i * h + r] = u(l[r * h + r]!);
    }
  }
  return [Float32Array.from(q.mean), lower, spread];
}

/** A lower-triangular L with a positive diagonal and LLᵀ = T_i (float64). */
function choleskyOf(q: PosteriorArrays, i: number, h: number): Float64Array {
  const l = new Float64Array(h * h);
  if (q.family === 'diag') {
    for (let k = 0; k < h; k++) l[k * h + k] = q.std[i * h + k]!;
    return l;
  }
  if (q.family === 'full') {
    // LLᵀ is unchanged when a column of L changes sign: make the diagonal positive.
    for (let c = 0; c < h; c++) {
      const sign = q.chol[i * h * h + c * h + c]! < 0 ? -1 : 1;
      for (let r = c; r < h; r++) l[r * h + c] = sign * q.chol[i * h * h + r * h + c]!;
    }
    return l;
  }
  const r = q.rank;
  const t = new Float64Array(h * h); // VVᵀ + diag(d²)
  for (let a = 0; a < h; a++) {
    for (let c = 0; c <= a; c++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += q.factor[(i * h + a) * r + k]! * q.factor[(i * h + c) * r + k]!;
      t[a * h + c] = s;
    }
    t[a * h + a]! += q.diagStd[i * h + a]! ** 2;
  }
  for (let a = 0; a < h; a++) {
    for (let c = 0; c <= a; c++) {
      let s = t[a * h + c]!;
      for (let k = 0; k < c; k++) s -= l[a * h + k]! * l[c * h + k]!;
      l[a * h + c] = a === c ? Math.sqrt(s) : s / l[c * h + c]!;
    }
  }
  return l;
}
