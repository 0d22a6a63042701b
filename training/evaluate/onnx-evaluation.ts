/**
 * The whole-data report of an amortized encoder (evaluate-data-set.ts) with the encoder's forward
 * pass and the per-point statistics computed by onnxruntime on every core (the statistics graph of
 * export/statistics-graph.ts), several times faster than tfjs-wasm. The statistics are float32 per
 * point, summed in float64 as before; the Gini draws are those of evaluate-data-set.ts, in the same
 * order, from the same posteriors up to float32 rounding, drawn from the graph's outputs as arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator } from '@entropy-sc/core/elbo/elbo-accumulator';
import { openGraphSession, type Tensor } from '@entropy-sc/inference/graph-session';
import type { Encoder } from '../encoder/encoder.ts';
import { encoderWeights } from '../export/encoder-weights.ts';
import { STATISTIC_OUTPUTS, statisticsModelBytes } from '../export/statistics-graph.ts';
import { normalizeColumns } from '../objective/point-statistics.ts';
import type { AmortizedPosteriorArrays } from '../objective/sample-posterior-arrays.ts';
import { EVALUATION_BATCH, GiniSampling, type DataSetReport, type EvaluationInput } from './evaluate-data-set.ts';

/** @param input as evaluateDataSet's, but the posteriors are the encoder's own */
export async function evaluateEncoder(encoder: Encoder, input: Omit<EvaluationInput, 'posterior'>): Promise<DataSetReport> {
  const { x, n, d, batch = EVALUATION_BATCH } = input;
  const { h } = encoder.config;
  const wn = tf.tidy(() => normalizeColumns(input.w));
  const { bytes, outputs } = statisticsModelBytes(encoderWeights(encoder), (await wn.data()) as Float32Array);
  wn.dispose();
  const session = await openGraphSession(bytes);
  const accumulator = new ElboAccumulator(d, h);
  const gini = new GiniSampling(input, h);
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const out = await session.run(x.subarray(start * d, end * d), end - start, d, outputs);
      accumulator.add({ scaledM: out[STATISTIC_OUTPUTS.scaledM]!.data, squaredError: out[STATISTIC_OUTPUTS.squaredError]!.data, logDet: out[STATISTIC_OUTPUTS.logDet]!.data });
      gini.drawArrays(posteriorRows(out, gini.rows(start, end)));
    }
  } finally {
    await session.release();
  }
  return { ...accumulator.report(), ...gini.result() };
}

/** The posteriors of a batch's `rows`, from the statistics graph's outputs. */
function posteriorRows(out: Record<string, Tensor>, rows: number[]): AmortizedPosteriorArrays {
  const gather = (t: Tensor) => {
    const width = t.data.length / t.shape[0]!;
    const values = new Float32Array(rows.length * width);
    rows.forEach((row, i) => values.set(t.data.subarray(row * width, (row + 1) * width), i * width));
    return values;
  };
  const sqrt = (t: Tensor) => gather(t).map(Math.sqrt);
  const mean = gather(out['mean']!);
  if (out['cov_factor']) return { family: 'lowrank', mean, factor: gather(out['cov_factor']), diagStd: sqrt(out['cov_diag']!), rank: out['cov_factor'].shape[2]! };
  return { family: 'diag', mean, std: sqrt(out['variance']!) };
}
