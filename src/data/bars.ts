/**
 * The bars data set (math.md, "Bars data"; paper Section 4.1, Appendix D.2): a b×b grid whose H = 2b
 * generative fields are its horizontal and vertical bars, mixed with Laplace-distributed weights plus
 * Gaussian noise.
 */
import { ensure } from '../errors.ts';
import { Random } from '../random.ts';

export interface BarsOptions {
  /** grid side b (D = b², H = 2b) */
  size?: number;
  /** number of points N */
  samples?: number;
  /** noise standard deviation (ε ~ N(0, noise² I)) */
  noise?: number;
  seed: number;
}

export interface BarsData {
  /** data [N, D] row-major */
  x: Float32Array;
  /** the latents that made each point [N, H] row-major */
  z: Float64Array;
  /** the generating dictionary [D, H] row-major (barsDictionary) */
  w: Float64Array;
  n: number;
  d: number;
  h: number;
}

/**
 * The ground-truth dictionary: pixel (r, c) of the grid is row r·b + c; columns 0..b−1 are the
 * horizontal bars (bar k covers grid row k), columns b..2b−1 the vertical ones (bar k covers grid
 * column k). Value 1 on the bar, 0 elsewhere.
 * @param size grid side b
 * @returns W [b², 2b] row-major
 */
export function barsDictionary(size: number): Float64Array {
  ensure(Number.isInteger(size) && size >= 1, `bars size must be a positive integer, got ${size}`);
  const h = 2 * size;
  const w = new Float64Array(size * size * h);
  for (let k = 0; k < size; k++)
    for (let j = 0; j < size; j++) {
      w[(k * size + j) * h + k] = 1;
      w[(j * size + k) * h + size + k] = 1;
    }
  return w;
}

/**
 * Draws N points x = W z + ε with z_h ~ Laplace(0, 1) and ε ~ N(0, noise² I). The same seed gives
 * the same data; z and ε come from independent forks of `Random(seed)`.
 */
export function generateBars({ size = 5, samples = 1000, noise = 0.1, seed }: BarsOptions): BarsData {
  ensure(Number.isInteger(samples) && samples >= 0, `number of bars samples must be a non-negative integer, got ${samples}`);
  ensure(Number.isFinite(noise) && noise >= 0, `bars noise must be a non-negative number, got ${noise}`);
  ensure(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
  const w = barsDictionary(size);
  const d = size * size;
  const h = 2 * size;
  const random = new Random(seed);
  const latentRandom = random.fork();
  const noiseRandom = random.fork();
  const x = new Float32Array(samples * d);
  const z = new Float64Array(samples * h);
  for (let n = 0; n < samples; n++) {
    const zn = z.subarray(n * h, (n + 1) * h);
    for (let k = 0; k < h; k++) zn[k] = latentRandom.laplace(1);
    for (let i = 0; i < d; i++) {
      let value = noise * noiseRandom.normal();
      for (let k = 0; k < h; k++) value += w[i * h + k]! * zn[k]!;
      x[n * d + i] = value;
    }
  }
  return { x, z, w, n: samples, d, h };
}
