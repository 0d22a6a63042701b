/**
 * The whole-data report of an amortized encoder (evaluate-data-set.ts) with the encoder's forward
 * pass and the per-point statistics computed by onnxruntime on every core (the statistics graph of
 * @entropy-sc/graph/statistics-graph.ts, a batch per core: statistics-pool.ts), several times faster than
 * tfjs-wasm. The statistics are float32 per point, summed in float64 in row order as before; the Gini
 * draws are those of evaluate-data-set.ts, in the same order, from the same posteriors up to float32
 * rounding: each worker draws those of its batches, from the generator's state at their turn.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator } from '@entropy-sc/core/elbo/elbo-accumulator';
import type { Encoder } from '../model/encoder.ts';
import { encoderWeights } from '../model/encoder-weights.ts';
import { STATISTIC_OUTPUTS, statisticsModelBytes } from '@entropy-sc/graph/statistics-graph';
import { normalizeColumns } from '../objective/point-statistics.ts';
import { normalsPerPoint } from '../objective/sample-posterior-arrays.ts';
import { EVALUATION_BATCH, GiniSampling, type DataSetReport, type EvaluationInput } from './evaluate-data-set.ts';
import { openPooledGraph, type StatisticsBatch } from './statistics-pool.ts';

/** @param input as evaluateDataSet's, but the posteriors are the encoder's own */
export async function evaluateEncoder(
  encoder: Encoder,
  input: Omit<EvaluationInput, 'posterior'>,
): Promise<DataSetReport> {
  const { x, n, d, batch = EVALUATION_BATCH } = input;
  const { h, rank, family } = encoder.config;
  const wn = tf.tidy(() => normalizeColumns(input.w));
  const { bytes, outputs } = statisticsModelBytes(encoderWeights(encoder), (await wn.data()) as Float32Array);
  wn.dispose();
  const statistics: string[] = Object.values(STATISTIC_OUTPUTS);
  const graph = await openPooledGraph(bytes, {
    statistics,
    posterior: outputs.filter((name) => !statistics.includes(name)),
  });
  const accumulator = new ElboAccumulator(d, h);
  const gini = new GiniSampling(input, h);
  const normals = normalsPerPoint(family, h, rank);
  const batches = Math.ceil(n / batch);
  const sent: Array<Promise<StatisticsBatch>> = [];
  const send = (k: number) => {
    const start = k * batch;
    const end = Math.min(n, start + batch);
    const result = graph.run(x.slice(start * d, end * d), end - start, gini.reserve(start, end, normals));
    result.catch(() => undefined); // awaited in order below; a failure before its turn must not go unhandled
    sent.push(result);
  };
  try {
    for (let k = 0; k < batches; k++) {
      while (sent.length < Math.min(batches, k + graph.depth)) send(sent.length);
      const out = await sent[k]!;
      accumulator.add({
        scaledM: out.statistics[STATISTIC_OUTPUTS.scaledM]!,
        squaredError: out.statistics[STATISTIC_OUTPUTS.squaredError]!,
        logDet: out.statistics[STATISTIC_OUTPUTS.logDet]!,
      });
      gini.addValues(out.gini);
    }
  } finally {
    await Promise.allSettled(sent);
    await graph.release();
  }
  return { ...accumulator.report(), ...gini.result() };
}
