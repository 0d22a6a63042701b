/**
 * A data-driven starting dictionary for joint L-BFGS: k-lines clustering, i.e. k-means over lines
 * through the origin (K-SVD with one atom per point). Each point is assigned to the unit direction w_k
 * with the largest |w_kᵀx_n|; each w_k becomes the top eigenvector of the scatter Σ x_n x_nᵀ of its
 * points. Seeding is k-means++-like: a new direction starts at a point drawn with probability
 * proportional to its squared distance from the nearest line chosen so far. Of several seeded runs,
 * the one capturing most energy Σ_n max_k (w_kᵀx_n)² is kept.
 *
 * Why: from a random dictionary, joint L-BFGS on the bars data needs about 2000 iterations and ends
 * with a field holding two bars in about half of the runs; from k-lines it recovered all bars in every
 * run tried within about 200 iterations. Only the start changes: the objective is the paper's.
 * Cost per iteration O(N·H·D + N·D²) in plain JavaScript, fine for small data such as bars.
 */
import type { Random } from '@entropy-sc/core/random';

export interface KLinesOptions {
  /** seeded runs, the best kept */
  restarts: number;
  /** assignment/update rounds per run */
  iterations: number;
}

/** k-means++-like seeding. @returns directions [D, H] row-major, unit columns */
function seedDirections(x: Float32Array, n: number, d: number, h: number, rng: Random): Float64Array {
  const directions = new Float64Array(d * h);
  const distance = new Float64Array(n); // squared distance to the nearest line so far
  for (let p = 0; p < n; p++) distance[p] = squaredNorm(x, p, d);
  for (let k = 0; k < h; k++) {
    let total = 0;
    for (let p = 0; p < n; p++) total += distance[p]!;
    let pick = rng.int(n);
    if (total > 0) {
      let r = rng.uniform() * total;
      for (let p = 0; p < n; p++) {
        r -= distance[p]!;
        if (r <= 0) {
          pick = p;
          break;
        }
      }
    }
    const norm = Math.sqrt(squaredNorm(x, pick, d)) || 1;
    for (let i = 0; i < d; i++) directions[i * h + k] = x[pick * d + i]! / norm;
    for (let p = 0; p < n; p++) {
      const s = project(x, p, d, directions, h, k);
      distance[p] = Math.min(distance[p]!, squaredNorm(x, p, d) - s * s);
    }
  }
  return directions;
}

function squaredNorm(x: Float32Array, p: number, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += x[p * d + i]! ** 2;
  return s;
}

/** w_kᵀ x_p */
function project(x: Float32Array, p: number, d: number, directions: Float64Array, h: number, k: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += directions[i * h + k]! * x[p * d + i]!;
  return s;
}

/** Top eigenvector of a symmetric positive semi-definite matrix by power iteration from `start`. */
function topEigenvector(scatter: Float64Array, d: number, start: Float64Array): Float64Array {
  let v = start;
  for (let round = 0; round < 30; round++) {
    const next = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += scatter[i * d + j]! * v[j]!;
      next[i] = s;
    }
    const norm = Math.sqrt(next.reduce((a, b) => a + b * b, 0));
    if (norm === 0) return v; // no points: keep the direction
    v = next.map((t) => t / norm);
  }
  return v;
}

/** Runs k-lines from the given directions (updated in place). @returns the captured energy */
function refine(
  x: Float32Array,
  n: number,
  d: number,
  h: number,
  directions: Float64Array,
  iterations: number,
): number {
  for (let round = 0; ; round++) {
    const scatters = Array.from({ length: h }, () => new Float64Array(d * d));
    let energy = 0;
    for (let p = 0; p < n; p++) {
      let best = -1;
      let bestK = 0;
      for (let k = 0; k < h; k++) {
        const s = project(x, p, d, directions, h, k);
        if (s * s > best) {
          best = s * s;
          bestK = k;
        }
      }
      energy += best;
      const scatter = scatters[bestK]!;
      for (let i = 0; i < d; i++) {
        const xi = x[p * d + i]!;
        for (let j = 0; j < d; j++) scatter[i * d + j]! += xi * x[p * d + j]!;
      }
    }
    if (round === iterations) return energy;
    for (let k = 0; k < h; k++) {
      const column = Float64Array.from({ length: d }, (_, i) => directions[i * h + k]!);
      const top = topEigenvector(scatters[k]!, d, column);
      for (let i = 0; i < d; i++) directions[i * h + k] = top[i]!;
    }
  }
}

/**
 * @param x data [N, D] row-major
 * @returns H unit directions as a dictionary [D, H] row-major
 */
export function kLines(
  x: Float32Array,
  n: number,
  d: number,
  h: number,
  rng: Random,
  options: KLinesOptions,
): Float32Array {
  let best: Float64Array | null = null;
  let bestEnergy = -Infinity;
  for (let r = 0; r < options.restarts; r++) {
    const directions = seedDirections(x, n, d, h, rng);
    const energy = refine(x, n, d, h, directions, options.iterations);
    if (energy > bestEnergy) {
      bestEnergy = energy;
      best = directions;
    }
  }
  return Float32Array.from(best!);
}
