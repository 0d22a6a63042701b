/**
 * The whole-data report of an amortized encoder (evaluate-data-set.ts) with the encoder's forward
 * pass and the per-point statistics computed by onnxruntime on every core (the statistics graph of
 * export/statistics-graph.ts), several times faster than tfjs-wasm. The statistics are float32 per
 * point, summed in float64 as before; the Gini draws are those of evaluate-data-set.ts, in the same
 * order, from the same posteriors up to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator } from '@entropy-sc/core/elbo/elbo-accumulator';
import { openGraphSession, type Tensor } from '@entropy-sc/inference/graph-session';
import type { Encoder } from '../encoder/encoder.ts';
import { encoderWeights } from '../export/encoder-weights.ts';
import { STATISTIC_OUTPUTS, statisticsModelBytes } from '../export/statistics-graph.ts';
import { normalizeColumns } from '../objective/point-statistics.ts';
import type { Posterior } from '../objective/posterior.ts';
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
  const gini = new GiniSampling(input);
  try {
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      const out = await session.run(x.subarray(start * d, end * d), end - start, d, outputs);
      accumulator.add({ scaledM: out[STATISTIC_OUTPUTS.scaledM]!.data, squaredError: out[STATISTIC_OUTPUTS.squaredError]!.data, logDet: out[STATISTIC_OUTPUTS.logDet]!.data });
      const z = tf.tidy(() => gini.draw(start, end, () => posteriorOf(out)));
      gini.add(z.map((t) => t.dataSync() as Float32Array));
      tf.dispose(z);
    }
  } finally {
    await session.release();
  }
  return { ...accumulator.report(), ...gini.result(h) };
}

/** The posteriors of a batch as tensors, from the statistics graph's outputs. */
function posteriorOf(out: Record<string, Tensor>): Posterior {
  const tensor = (t: Tensor) => tf.tensor(t.data, t.shape);
  const mean = tensor(out['mean']!) as tf.Tensor2D;
  if (out['cov_factor']) return { family: 'lowrank', mean, factor: tensor(out['cov_factor']) as tf.Tensor3D, diagStd: tf.sqrt(tensor(out['cov_diag']!)) as tf.Tensor2D };
  return { family: 'diag', mean, std: tf.sqrt(tensor(out['variance']!)) as tf.Tensor2D };
}
