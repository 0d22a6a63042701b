/**
 * Non-amortized posteriors: the parameters of q_n = N(ν_n, T_n) of B points, stored as tf.Variables
 * (or plain arrays between E-steps) that L-BFGS can move freely (math.md, "Posterior families"):
 * - diag: ν [B, H], u [B, H]                       τ = spread(u), T = diag(τ²)
 * - lowrank: ν [B, H], V [B, H, r], u [B, H]        d = s₀ + spread(u), T = VVᵀ + diag(d²)
 * - full: ν [B, H], the strictly lower triangle of L packed row by row [B, H(H−1)/2], u [B, H]
 *                                                    L_hh = spread(u), T = LLᵀ
 *
 * spread(u) = s₀ · softplus(u / s₀) is positive, equal to u for spreads well above s₀ and
 * s₀ · exp(u / s₀) well below it. Both regimes matter for L-BFGS, whose initial Hessian guess is one
 * scale for all variables. A plain log τ has curvature of order one against about 1/τ² for ν and the
 * entries of L, and slowed bars runs several-fold; τ itself has the right curvature near the optimum,
 * but 1/τ² grows without bound when a latent falls silent (ν, τ → 0 together, which costs nothing in
 * the objective), and L-BFGS then stalls. s₀ should lie below the posterior spreads expected.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import type { Posterior, PosteriorFamily } from '../objective/posterior.ts';
import { matMul } from '../tensor/mat-mul.ts';

/** The shape and meaning of one point's parameters. */
export interface PointLayout {
  family: PosteriorFamily;
  /** latents H */
  h: number;
  /** rank r of the low-rank family (ignored otherwise) */
  rank: number;
  /** s₀ of spread(u) = s₀ · exp(u / s₀) */
  spreadScale: number;
}

/** Names and per-point shapes of the parameter arrays of a family, in the order of `variables`. */
export function parameterShapes(layout: Omit<PointLayout, 'spreadScale'>): Array<{ name: string; shape: number[] }> {
  const { family, h, rank } = layout;
  switch (family) {
    case 'diag':
      return [
        { name: 'mean', shape: [h] },
        { name: 'spread', shape: [h] },
      ];
    case 'lowrank':
      return [
        { name: 'mean', shape: [h] },
        { name: 'factor', shape: [h, rank] },
        { name: 'spread', shape: [h] },
      ];
    case 'full':
      return [
        { name: 'mean', shape: [h] },
        { name: 'lower', shape: [(h * (h - 1)) / 2] },
        { name: 'spread', shape: [h] },
      ];
  }
}

/** Per-point parameters as flat row-major arrays, one per entry of `parameterShapes` ([B, ...] each). */
export type PointArrays = Float32Array[];

/** Values per point of each parameter array. */
export function pointSizes(layout: Omit<PointLayout, 'spreadScale'>): number[] {
  return parameterShapes(layout).map((p) => p.shape.reduce((a, b) => a * b, 1));
}

/** Position of L_ij (i > j) in the packed strictly lower triangle. */
export function packedIndex(i: number, j: number): number {
  return (i * (i - 1)) / 2 + j;
}

/** The stored u of a spread s (inverse of spread(u)). */
export function spreadParameter(s: number, spreadScale: number): number {
  const r = s / spreadScale;
  return spreadScale * (r > 30 ? r : Math.log(Math.expm1(r)));
}

/**
 * Initial parameters of B points: the given means and a spread of `std` in every direction
 * (τ = d = L_hh = std, L_ij = 0 below the diagonal). The low-rank factors start at small random
 * values, 0.1·std·N(0, 1): V = 0 is a stationary point of any function of VVᵀ, where gradient-based
 * fits would leave them.
 * @param mean ν [B, H] row-major
 * @param rows the points' indices in their data set (default 0 … B−1): they seed the factors, so that
 *   a point starts the same whenever it is first visited
 */
export function initialArrays(
  layout: PointLayout,
  mean: Float32Array,
  std: number,
  rows?: ArrayLike<number>,
): PointArrays {
  const b = mean.length / layout.h;
  const u = spreadParameter(
    layout.family === 'lowrank' ? Math.max(std - layout.spreadScale, layout.spreadScale / 100) : std,
    layout.spreadScale,
  );
  return parameterShapes(layout).map(({ name, shape }) => {
    if (name === 'mean') return Float32Array.from(mean);
    const size = shape.reduce((a, c) => a * c, 1);
    const values = new Float32Array(b * size);
    if (name === 'spread') return values.fill(u);
    if (name === 'factor')
      for (let i = 0; i < b; i++) {
        const rng = new Random(rows ? rows[i]! : i);
        for (let k = 0; k < size; k++) values[i * size + k] = 0.1 * std * rng.normal();
      }
    return values;
  });
}

/** The 0/1 matrix that scatters [strictly lower packed, diagonal] into a row-major H×H matrix. @returns [H(H+1)/2, H²] */
export function scatterMatrix(h: number): tf.Tensor2D {
  const lower = (h * (h - 1)) / 2;
  const s = new Float32Array((lower + h) * h * h);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < i; j++) s[packedIndex(i, j) * h * h + i * h + j] = 1;
    s[(lower + i) * h * h + i * h + i] = 1;
  }
  return tf.tensor2d(s, [lower + h, h * h]);
}

/**
 * The posteriors that stored parameters describe (differentiable).
 * @param parameters one tensor per entry of `parameterShapes`, each [B, ...]
 * @param scatter `scatterMatrix(H)` for the full family (made here if not given)
 */
export function toPosterior(layout: PointLayout, parameters: tf.Tensor[], scatter?: tf.Tensor2D): Posterior {
  const s0 = layout.spreadScale;
  const mean = parameters[0] as tf.Tensor2D;
  const b = mean.shape[0];
  const spread: tf.Tensor2D = tf.mul(s0, tf.softplus(tf.div(parameters[parameters.length - 1]!, s0)));
  switch (layout.family) {
    case 'diag':
      return { family: 'diag', mean, std: spread };
    case 'lowrank':
      // d ≥ s₀: log det(VVᵀ + diag(d²)) stays finite as some d_h → 0 when V covers direction h, so no
      // barrier stops it (on bars, d_h fell to 1e-5), and the capacitance I + Vᵀdiag(d⁻²)V then
      // outgrows float32 and its gradient turns to noise; the encoder's d has a floor too (math.md).
      return { family: 'lowrank', mean, factor: parameters[1] as tf.Tensor3D, diagStd: tf.add(spread, s0) };
    case 'full': {
      const h = layout.h;
      // One plain product scatters both parts into L (fast in tfjs-wasm, unlike masks that broadcast).
      const packed = tf.concat([parameters[1] as tf.Tensor2D, spread], 1);
      const chol: tf.Tensor3D = tf.reshape(matMul(packed, scatter ?? scatterMatrix(h)), [b, h, h]);
      return { family: 'full', mean, chol };
    }
  }
}

/** Stored parameters [B, ...] as tensors (for `toPosterior`). */
export function parameterTensors(layout: PointLayout, arrays: PointArrays, b: number): tf.Tensor[] {
  return parameterShapes(layout).map(({ shape }, k) => tf.tensor(arrays[k]!, [b, ...shape], 'float32'));
}

export class PosteriorVariables {
  readonly variables: tf.Variable[];
  /** see `scatterMatrix` (full family only) */
  private readonly scatter: tf.Tensor2D | null;

  /**
   * @param layout family, H, r and s₀
   * @param b number of points B
   * @param arrays initial values (see `initialArrays`)
   */
  constructor(
    readonly layout: PointLayout,
    readonly b: number,
    arrays: PointArrays,
  ) {
    this.variables = parameterTensors(layout, arrays, b).map((t) => {
      const v = tf.variable(t);
      t.dispose();
      return v;
    });
    this.scatter = layout.family === 'full' ? scatterMatrix(layout.h) : null;
  }

  /** The posteriors the variables describe (differentiable; call inside a tidy or a gradient scope). */
  posterior(): Posterior {
    return toPosterior(this.layout, this.variables, this.scatter ?? undefined);
  }

  /** Current values of the stored parameters, one array per entry of `parameterShapes`. */
  read(): PointArrays {
    return this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  write(arrays: PointArrays): void {
    this.variables.forEach((v, k) => tf.tidy(() => v.assign(tf.tensor(arrays[k]!, v.shape, 'float32'))));
  }

  dispose(): void {
    tf.dispose(this.variables);
    this.scatter?.dispose();
  }
}
