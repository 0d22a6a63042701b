/**
 * The graph that the training loop's whole-data evaluation runs under onnxruntime: the encoder of
 * encoder-graph.ts and, per row, the ELBO's sufficient statistics (elbo-graph.ts) and the
 * posterior's parameters (for the Gini samples). Not an export: it holds W̃ but neither λ, σ² nor a
 * card.
 */
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { pointStatisticNodes } from './elbo-graph.ts';
import { posteriorNodes, type EncoderWeights } from './encoder-graph.ts';
import { GraphBuilder } from './graph-builder.ts';
import { modelBytes } from './model-bytes.ts';

/** Output names of the statistics, besides the posterior's `mean`, `variance` or `cov_factor`, `cov_diag`. */
export const STATISTIC_OUTPUTS = { scaledM: 'scaled_m', squaredError: 'squared_error', logDet: 'log_det' } as const;

/**
 * @param dictionary W̃ [D, H] row-major, unit columns
 * @returns the model's bytes and its output names
 */
export function statisticsModelBytes(
  w: EncoderWeights,
  dictionary: Float32Array,
): { bytes: Uint8Array; outputs: string[] } {
  const { d, h, rank } = w;
  const g = new GraphBuilder();
  const x = g.input(INPUT_NAME, [d]);
  const wn = g.float('dictionary', dictionary, [d, h]);
  const q = posteriorNodes(g, w, x);
  const reconstruction = g.scope('reconstruction', () => g.op('Gemm', [q.mean, wn], { transB: { int: 1 } }));
  const s = pointStatisticNodes(g, { x, ...q, reconstruction, dictionary: wn, d, h, rank });
  const identity = (node: string, name: string) => g.scope('statistics', () => g.op('Identity', [node], {}, name));
  const outputs: Array<[string, number[]]> = [
    [identity(s.scaledM, STATISTIC_OUTPUTS.scaledM), [h]],
    [identity(s.squaredError, STATISTIC_OUTPUTS.squaredError), []],
    [identity(s.logDet, STATISTIC_OUTPUTS.logDet), []],
    [q.mean, [h]],
    ...(q.factor
      ? ([
          [q.factor, [h, rank]],
          [q.squaredStd, [h]],
        ] as Array<[string, number[]]>)
      : ([[q.variance, [h]]] as Array<[string, number[]]>)),
  ];
  for (const [name, dims] of outputs) g.output(name, dims);
  return {
    bytes: modelBytes(
      g,
      'entropy_sc_statistics',
      `entropy-sc ${w.family} encoder, D=${d}, H=${h}: the ELBO's per-point statistics`,
    ),
    outputs: outputs.map(([name]) => name),
  };
}
