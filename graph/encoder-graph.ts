/**
 * The ONNX graph of an amortized encoder and every output of cli.md's `export`: the encoder of
 * math.md (Appendix D.3) as Gemm/Relu/Add/Softplus, the posterior's moments, W̃·ν and ℓ_n.
 */
import { INITIALIZER_NAMES, INPUT_NAME, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { standardElboNodes } from './elbo-graph.ts';
import { LAYER_NAMES, MIN_STD, type AmortizedFamily } from './encoder-spec.ts';
import type { GraphBuilder } from './graph-builder.ts';

/** A dense layer y = x·W + b. */
export interface DenseWeights {
  /** W [inputs, outputs] row-major */
  weight: Float32Array;
  /** b [outputs] */
  bias: Float32Array;
  inputs: number;
  outputs: number;
}

export interface EncoderWeights {
  family: AmortizedFamily;
  d: number;
  h: number;
  /** r (low-rank only) */
  rank: number;
  input: DenseWeights;
  blocks: Array<{ expand: DenseWeights; project: DenseWeights }>;
  meanHead: DenseWeights;
  stdHead: DenseWeights;
  /** low-rank only: [hidden → H·r] */
  factorHead: DenseWeights | null;
}

/** Θ = (λ, W̃, σ²), frozen at the learned values. */
export interface FrozenTheta {
  /** W̃ [D, H] row-major, unit columns */
  dictionary: Float32Array;
  /** λ [H] */
  priorScales: Float32Array;
  /** σ² */
  noiseVariance: number;
}

export interface EncoderGraphOptions {
  /** add `covariance` [batch, H, H] */
  fullCovariance: boolean;
}

/** The nodes of the posterior's parameters and moments (named as cli.md's outputs where they are one). */
export interface PosteriorNodes {
  /** ν [B, H], named `mean` */
  mean: string;
  /** τ or d [B, H] */
  std: string;
  /** τ² or d² [B, H], named `variance` (diag) or `cov_diag` (low-rank) */
  squaredStd: string;
  /** T_n,hh [B, H], named `variance` */
  variance: string;
  /** V [B, H, r], named `cov_factor`; null for the diagonal family */
  factor: string | null;
}

/** Adds the encoder of math.md (Appendix D.3) from input `x` to the posterior of each row. */
export function posteriorNodes(g: GraphBuilder, w: EncoderWeights, x: string): PosteriorNodes {
  const dense = (layer: DenseWeights, input: string, name: string, output?: string) =>
    g.scope(layerScope(name), () =>
      g.op(
        'Gemm',
        [
          input,
          g.float(`${name}.weight`, layer.weight, [layer.inputs, layer.outputs]),
          g.float(`${name}.bias`, layer.bias, [layer.outputs]),
        ],
        {},
        output,
      ),
    );

  let hidden = dense(w.input, x, LAYER_NAMES.input);
  w.blocks.forEach((block, k) => {
    // the block's own nodes (its ReLUs and the residual sum) beside its two layers' scopes
    const inBlock = (op: string, inputs: string[]) => g.scope(`encoder/block${k}`, () => g.op(op, inputs));
    const inner = inBlock('Relu', [dense(block.expand, inBlock('Relu', [hidden]), LAYER_NAMES.expand(k))]);
    const projected = dense(block.project, inner, LAYER_NAMES.project(k));
    hidden = inBlock('Add', [hidden, projected]);
  });
  const heads = {
    mean: dense(w.meanHead, hidden, LAYER_NAMES.mean, 'mean'),
    std: dense(w.stdHead, hidden, LAYER_NAMES.std),
    factor: w.factorHead ? dense(w.factorHead, hidden, LAYER_NAMES.factor) : null,
  };
  return headPosteriorNodes(g, heads, w.h, w.rank);
}

/** The heads' outputs of an encoder: ν, the std head's pre-activation and (low-rank) V's, [B, H·r]. */
export interface HeadNodes {
  mean: string;
  std: string;
  factor: string | null;
}

/** The posterior's parameters and moments from the heads' outputs (training/model/encoder.ts's headsPosterior). */
export function headPosteriorNodes(g: GraphBuilder, heads: HeadNodes, h: number, rank: number): PosteriorNodes {
  const std = g.scope('posterior/std', () => g.op('Add', [g.op('Softplus', [heads.std]), g.scalar(MIN_STD)]));
  const squaredStd = g.scope('posterior/std_squared', () =>
    g.op('Mul', [std, std], {}, heads.factor ? 'cov_diag' : 'variance'),
  );

  // T_n,hh (math.md, the families' table)
  let variance = squaredStd;
  let factor: string | null = null;
  if (heads.factor) {
    factor = g.scope('posterior/V', () =>
      g.op('Reshape', [heads.factor!, g.int64('factor_shape', [0, h, rank])], {}, 'cov_factor'),
    );
    variance = g.scope('posterior/T_hh', () =>
      g.op(
        'Add',
        [g.op('ReduceSumSquare', [factor!], { axes: { ints: [2] }, keepdims: { int: 0 } }), squaredStd],
        {},
        'variance',
      ),
    );
  }
  return { mean: heads.mean, std, squaredStd, variance, factor };
}

/** Adds the encoder and its outputs to `g`. @returns the output names, in cli.md's order */
export function buildEncoderGraph(
  g: GraphBuilder,
  w: EncoderWeights,
  theta: FrozenTheta,
  options: EncoderGraphOptions,
): OutputName[] {
  const { d, h, rank } = w;
  const x = g.input(INPUT_NAME, [d]);
  const dictionary = g.float(INITIALIZER_NAMES.dictionary, theta.dictionary, [d, h]);
  const priorScales = g.float(INITIALIZER_NAMES.priorScales, theta.priorScales, [h]);
  const noiseVariance = g.float(INITIALIZER_NAMES.noiseVariance, [theta.noiseVariance], []);
  const { mean, std, squaredStd, variance, factor } = posteriorNodes(g, w, x);
  const reconstruction = g.scope('reconstruction', () =>
    g.op('Gemm', [mean, dictionary], { transB: { int: 1 } }, 'reconstruction'),
  );
  standardElboNodes(
    g,
    { x, mean, variance, squaredStd, std, factor, reconstruction, dictionary, priorScales, noiseVariance, d, h, rank },
    'elbo',
  );

  const outputs: Array<[OutputName, number[]]> = [
    ['mean', [h]],
    ['variance', [h]],
    ['elbo', []],
    ['reconstruction', [d]],
  ];
  if (factor) outputs.push(['cov_factor', [h, rank]], ['cov_diag', [h]]);
  if (options.fullCovariance) {
    // T_n = V Vᵀ + diag(d²) (low-rank) or diag(τ²), as dense [H, H] matrices
    g.scope('posterior/T', () => {
      const diagonal = g.op('Mul', [
        g.op('Unsqueeze', [squaredStd, g.int64('axis_2', [2])]),
        g.float('identity_h', identity(h), [h, h]),
      ]);
      if (factor)
        g.op(
          'Add',
          [g.op('MatMul', [factor, g.op('Transpose', [factor], { perm: { ints: [0, 2, 1] } })]), diagonal],
          {},
          'covariance',
        );
      else g.op('Identity', [diagonal], {}, 'covariance');
    });
    outputs.push(['covariance', [h, h]]);
  }
  for (const [name, dims] of outputs) g.output(name, dims);
  return outputs.map(([name]) => name);
}

/** `encoder.block0.expand` → `encoder/block0/expand`: a layer's initializer prefix as its nodes' scope. */
function layerScope(layer: string): string {
  return layer.replaceAll('.', '/');
}

function identity(n: number): Float32Array {
  const eye = new Float32Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return eye;
}
