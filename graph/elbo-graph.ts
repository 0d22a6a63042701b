/**
 * ℓ_n, the standard ELBO of each point at frozen Θ = (λ, W̃, σ²) (math.md Eq. 4, Appendix B.3), as
 * ONNX nodes, and the per-point statistics it is made of. Θ is read from the named initializers, so
 * the graph stays consistent with them:
 * ℓ_n = −(D/2) log(2πσ²) − [tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖²]/(2σ²)
 *       − Σ_h [log(2λ_h) + s_nh M(ν_nh/s_nh)/λ_h] + ½ (H log(2πe) + log det T_n)
 */
import type { GraphBuilder } from './graph-builder.ts';
import { LOG_2PI_E } from '@entropy-sc/core/elbo/entropies';

export interface ElboInputs {
  /** rows [B, D] */
  x: string;
  /** ν [B, H] */
  mean: string;
  /** T_n,hh [B, H] */
  variance: string;
  /** τ² or d² [B, H] */
  squaredStd: string;
  /** τ or d [B, H] */
  std: string;
  /** low-rank V [B, H, r], null for the diagonal family */
  factor: string | null;
  /** W̃ν [B, D] */
  reconstruction: string;
  /** W̃ [D, H] */
  dictionary: string;
  /** λ [H] */
  priorScales: string;
  /** σ² [] */
  noiseVariance: string;
  d: number;
  h: number;
  rank: number;
}

/** The per-point sufficient statistics of the entropy ELBO (training/objective/point-statistics.ts), as node names. */
export interface StatisticNodes {
  /** s_nh M(ν_nh / s_nh) [B, H] */
  scaledM: string;
  /** tr(W̃ᵀW̃T_n) + ‖W̃ν_n − x_n‖² [B] */
  squaredError: string;
  /** log det T_n [B] */
  logDet: string;
  /** intermediate nodes, which the training graph's gradient reuses (objective-gradient-nodes.ts) */
  parts: StatisticParts;
}

export interface StatisticParts {
  /** s = √T_hh and u = ν/s [B, H] */
  s: string;
  u: string;
  /** low-rank only: Vᵀ [B, r, H], VᵀW̃ᵀW̃ [B, r, H], Ṽ = V/d [B, H, r], d [B, H, 1], C = I_r + ṼᵀṼ [B, r, r] */
  lowrank: { factorT: string; projected: string; scaled: string; stdColumn: string; capacitance: string } | null;
}

/** Adds the nodes of the per-point statistics (λ and σ² are not needed for them). */
export function pointStatisticNodes(
  g: GraphBuilder,
  v: Omit<ElboInputs, 'priorScales' | 'noiseVariance'>,
): StatisticNodes {
  return g.scope('statistics', () => {
    const residual = g.scope('residual', () =>
      g.op('ReduceSumSquare', [g.op('Sub', [v.reconstruction, v.x])], { axes: { ints: [1] }, keepdims: { int: 0 } }),
    );
    // tr(W̃ᵀW̃T_n) and log det T_n (math.md, the families' table; W̃ has unit columns)
    let trace: string;
    let logDet = g.scope('log_det', () => reduceSum(g, g.op('Log', [v.squaredStd]), [1]));
    let lowrank: StatisticParts['lowrank'] = null;
    if (!v.factor) trace = g.scope('trace', () => reduceSum(g, v.variance, [1]));
    else {
      const factor = v.factor;
      // ‖W̃V‖_F² = Σ_k v_kᵀ (W̃ᵀW̃) v_k: one [B·r, H] × [H, H] product instead of [B·r, H] × [H, D]
      const { factorT, projected } = g.scope('trace', () => {
        const gram = g.op('MatMul', [g.op('Transpose', [v.dictionary]), v.dictionary]);
        const factorT = g.op('Transpose', [factor], { perm: { ints: [0, 2, 1] } }); // [B, r, H]
        const projected = g.op('MatMul', [factorT, gram]);
        const quadratic = reduceSum(g, g.op('Mul', [factorT, projected]), [1, 2]);
        trace = g.op('Add', [quadratic, reduceSum(g, v.squaredStd, [1])]);
        return { factorT, projected };
      });
      // matrix determinant lemma: log det(VVᵀ + D) = log det D + log det(I_r + Vᵀ D⁻¹ V), D = diag(d²)
      const { stdColumn, scaled, capacitance } = g.scope('log_det', () => {
        const stdColumn = g.op('Unsqueeze', [v.std, g.int64('axis_2_std', [2])]);
        const scaled = g.op('Div', [factor, stdColumn]);
        const eye = Float32Array.from({ length: v.rank * v.rank }, (_, k) =>
          Math.floor(k / v.rank) === k % v.rank ? 1 : 0,
        );
        const capacitance = g.op('Add', [
          g.float('identity_r', eye, [v.rank, v.rank]),
          g.op('MatMul', [g.op('Transpose', [scaled], { perm: { ints: [0, 2, 1] } }), scaled]),
        ]);
        logDet = g.op('Add', [logDet, g.op('Log', [g.op('Det', [capacitance])])]);
        return { stdColumn, scaled, capacitance };
      });
      lowrank = { factorT, projected, scaled, stdColumn, capacitance };
    }
    const s = g.scope('s', () => g.op('Sqrt', [v.variance]));
    const u = g.scope('u', () => g.op('Div', [v.mean, s]));
    return {
      scaledM: g.scope('scaled_M', () => g.op('Mul', [s, mFunction(g, u)])),
      squaredError: g.scope('squared_error', () => g.op('Add', [trace, residual])),
      logDet,
      parts: { s, u, lowrank },
    };
  });
}

/** Adds the nodes of ℓ_n [B], named `output`. */
export function standardElboNodes(g: GraphBuilder, v: ElboInputs, output: string): void {
  const { scaledM, squaredError, logDet } = pointStatisticNodes(g, v);
  g.scope('elbo', () => {
    const likelihood = g.scope('log_likelihood', () => {
      const twoSigma2 = g.op('Mul', [g.scalar(2), v.noiseVariance]);
      return g.op('Sub', [
        g.op('Mul', [g.scalar(-v.d / 2), g.op('Log', [g.op('Mul', [g.scalar(2 * Math.PI), v.noiseVariance])])]),
        g.op('Div', [squaredError, twoSigma2]),
      ]);
    });
    const prior = g.scope('log_prior', () =>
      g.op('Neg', [
        g.op('Add', [
          reduceSum(g, g.op('Log', [g.op('Mul', [g.scalar(2), v.priorScales])]), [0]),
          reduceSum(g, g.op('Div', [scaledM, v.priorScales]), [1]),
        ]),
      ]),
    );
    const entropy = g.scope('entropy_q', () =>
      g.op('Mul', [g.scalar(0.5), g.op('Add', [g.scalar(v.h * LOG_2PI_E), logDet])]),
    );
    g.op('Add', [g.op('Add', [likelihood, prior]), entropy], {}, output);
  });
}

function reduceSum(g: GraphBuilder, t: string, axes: number[]): string {
  return g.op('ReduceSum', [t, g.int64(`axes_${axes.join('_')}_${t}`, axes)], { keepdims: { int: 0 } });
}

/** M(a) = √(2/π)·exp(−a²/2) + a·erf(a/√2) (Eq. 11), elementwise. */
function mFunction(g: GraphBuilder, a: string): string {
  const gaussian = g.op('Mul', [
    g.scalar(Math.sqrt(2 / Math.PI)),
    g.op('Exp', [g.op('Mul', [g.scalar(-0.5), g.op('Mul', [a, a])])]),
  ]);
  return g.op('Add', [gaussian, g.op('Mul', [a, g.op('Erf', [g.op('Mul', [a, g.scalar(Math.SQRT1_2)])])])]);
}
