/**
 * A minibatch's L_{γ,δ} (Eq. 17) as ONNX nodes, differentiated by hand: from the heads' outputs and
 * the raw dictionary W to the batch sums of the point statistics (the value follows from them by
 * core's entropiesOfSums, in float64) and ∂L/∂(heads), ∂L/∂W. The statistics themselves are
 * elbo-graph.ts's.
 *
 * L depends on the statistics through λ = mean_n scaledM_n, σ² = mean_n SE_n / D and mean_n logDet_n:
 *   ∂L/∂scaledM_nh = −γ / (B λ_h),  ∂L/∂SE_n = −δ / (2 B σ²),  ∂L/∂logDet_n = 1 / (2B).
 * scaledM = s M(ν/s) with s² = T_hh: ∂/∂ν = erf(u/√2), ∂/∂s = √(2/π) exp(−u²/2) for u = ν/s (M' = erf).
 * SE_n = Σ_h τ² + ‖W̃V‖_F² + ‖W̃ν − x‖²: ∂/∂ν = 2 (W̃ν − x)ᵀW̃, ∂/∂τ = 2τ, ∂/∂V = 2 W̃ᵀW̃ V,
 *   ∂/∂W̃ = 2 (W̃ν − x) νᵀ + 2 W̃ V Vᵀ.
 * logDet_n = Σ_h log τ² + log det C, C = I_r + ṼᵀṼ, Ṽ = V/τ: ∂ log det C / ∂Ṽ = 2 Ṽ C⁻¹.
 * τ = softplus(p) + MIN_STD: ∂τ/∂p = sigmoid(p). W̃ = W/‖W_{:,h}‖: ∂W = (∂W̃ − W̃ ⊙ Σ_d W̃ ⊙ ∂W̃) / ‖W_{:,h}‖.
 */
import { headPosteriorNodes, type HeadNodes } from './encoder-graph.ts';
import type { GraphBuilder } from './graph-builder.ts';
import { pointStatisticNodes } from './elbo-graph.ts';

export interface ObjectiveInputs {
  /** rows [B, D] */
  x: string;
  heads: HeadNodes;
  /** W [D, H], columns of any norm */
  dictionary: string;
  /** γ and δ, scalars */
  gamma: string;
  delta: string;
  d: number;
  h: number;
  rank: number;
}

export interface ObjectiveGradientNodes {
  /** ∂L/∂(each head's output), shaped as the heads */
  heads: HeadNodes;
  /** ∂L/∂W [D, H] */
  dictionary: string;
  /** Σ_n scaledM_n [H], Σ_n SE_n [], Σ_n logDet_n [] */
  sums: { scaledM: string; squaredError: string; logDet: string };
}

export function objectiveGradientNodes(g: GraphBuilder, v: ObjectiveInputs): ObjectiveGradientNodes {
  const { d, h, rank } = v;
  const op = (type: string, ...inputs: string[]) => g.op(type, inputs);
  const c = (value: number) => g.scalar(value);
  const sumOver = (t: string, axes: number[], keepdims = 0) =>
    g.op('ReduceSum', [t, g.int64(`axes_${axes.join('_')}_${t}`, axes)], { keepdims: { int: keepdims } });

  const { norms, wn } = g.scope('dictionary_normalized', () => {
    const norms = g.op('ReduceL2', [v.dictionary], { axes: { ints: [0] }, keepdims: { int: 1 } });
    return { norms, wn: op('Div', v.dictionary, norms) };
  });
  const q = headPosteriorNodes(g, v.heads, h, rank);
  const reconstruction = g.scope('reconstruction', () => g.op('Gemm', [q.mean, wn], { transB: { int: 1 } }));
  const stats = pointStatisticNodes(g, { x: v.x, ...q, reconstruction, dictionary: wn, d, h, rank });
  const sums = g.scope('batch_sums', () => ({
    scaledM: sumOver(stats.scaledM, [0]),
    squaredError: sumOver(stats.squaredError, [0]),
    logDet: sumOver(stats.logDet, [0]),
  }));
  const at = <T>(term: string, build: () => T): T => g.scope(`objective_gradient/${term}`, build);
  const { perScaledM, perSquaredError, twoE, twoL } = at('per_statistic', () => {
    const rows = g.op('Cast', [g.op('Gather', [g.op('Shape', [v.x]), g.int64('batch_axis', [0])])], { to: { int: 1 } }); // B, [1]
    const perScaledM = op('Div', op('Neg', v.gamma), sums.scaledM); // −γ/(Bλ) = −γ/Σ_n scaledM_n
    const perSquaredError = op('Div', op('Mul', op('Neg', v.delta), c(d / 2)), sums.squaredError); // −δ/(2Bσ²)
    const perLogDet = op('Div', c(0.5), rows);
    return { perScaledM, perSquaredError, twoE: op('Mul', c(2), perSquaredError), twoL: op('Mul', c(2), perLogDet) };
  });

  const { s, u, lowrank } = stats.parts;
  const { gaussian, residual, gMean } = at('d_mean', () => {
    const gaussian = op('Mul', c(Math.sqrt(2 / Math.PI)), op('Exp', op('Mul', c(-0.5), op('Mul', u, u))));
    const residual = op('Sub', reconstruction, v.x);
    const gMean = op(
      'Add',
      op('Mul', perScaledM, op('Erf', op('Mul', u, c(Math.SQRT1_2)))),
      op('Mul', twoE, op('MatMul', residual, wn)),
    );
    return { gaussian, residual, gMean };
  });
  // ∂L/∂T_hh through scaledM, plus ∂SE/∂τ² = 1 (the trace's diagonal part)
  const gVariance = at('d_T_hh', () => op('Div', op('Mul', perScaledM, gaussian), op('Mul', c(2), s)));
  let gStd = at('d_std', () => {
    const gSquaredStd = op('Add', gVariance, perSquaredError);
    return op('Add', op('Mul', op('Mul', c(2), q.std), gSquaredStd), op('Div', twoL, q.std));
  });
  let gDictionary = at('d_dictionary', () => op('Mul', twoE, g.op('Gemm', [residual, q.mean], { transA: { int: 1 } })));
  let gFactor: string | null = null;
  if (q.factor && lowrank) {
    const factor = q.factor;
    const { factorT, projected, scaled, stdColumn: tau, capacitance } = lowrank;
    const k = at('d_log_det_C', () =>
      op('MatMul', scaled, g.op('Inverse', [capacitance], {}, undefined, 'com.microsoft')),
    ); // Ṽ C⁻¹ [B, H, r]
    gStd = at('d_std', () => op('Sub', gStd, op('Mul', op('Div', twoL, q.std), sumOver(op('Mul', k, scaled), [2]))));
    gFactor = at('d_V', () => {
      const quadratic = g.op('Transpose', [projected], { perm: { ints: [0, 2, 1] } }); // W̃ᵀW̃ V [B, H, r]
      const gV = op(
        'Add',
        op(
          'Add',
          op('Mul', op('Mul', c(2), factor), g.op('Unsqueeze', [gVariance, g.int64('axis_2_variance', [2])])),
          op('Mul', twoE, quadratic),
        ),
        op('Div', op('Mul', twoL, k), tau),
      );
      return g.op('Reshape', [gV, g.int64('factor_gradient_shape', [0, h * rank])]);
    });
    gDictionary = at('d_dictionary', () => {
      const stacked = g.op('Reshape', [factorT, g.int64('stacked_factor_shape', [-1, h])]); // [B·r, H]
      return op(
        'Add',
        gDictionary,
        op('Mul', twoE, op('MatMul', wn, g.op('Gemm', [stacked, stacked], { transA: { int: 1 } }))),
      );
    });
  }
  const radial = at('d_W', () => sumOver(op('Mul', wn, gDictionary), [0], 1));
  const gStdHead = at('d_std_head', () => op('Mul', gStd, op('Sigmoid', v.heads.std)));
  return {
    heads: { mean: gMean, std: gStdHead, factor: gFactor },
    // ∂W from ∂W̃ through the column normalisation
    dictionary: at('d_W', () => op('Div', op('Sub', gDictionary, op('Mul', wn, radial)), norms)),
    sums,
  };
}
