/**
 * The gradient of L_{γ,δ} as one onnxruntime graph (@entropy-sc/graph/gradient-graph.ts: the objective and the encoder
 * differentiated by hand) against TensorFlow.js's autodiff of the same L_{γ,δ} through the whole
 * encoder (itself tested against finite differences in objective.test.ts): the value, every
 * weight's, every bias's and W's gradient, both families, annealed and not, at small and at the
 * default widths.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { defaultEncoderConfig, type EncoderConfig } from '../../../graph/encoder-spec.ts';
import { Encoder } from '../../../training/model/encoder.ts';
import { randomDictionary } from '../../../training/init/random-dictionary.ts';
import { EncoderGradient } from '../../../training/learners/encoder-gradient.ts';
import { annealedObjective, batchEntropies } from '../../../training/objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';

const disposers: Array<() => unknown> = [];
afterAll(async () => {
  for (const d of disposers) await d();
});

async function compare(config: EncoderConfig, rows: number, gamma: number, delta: number): Promise<void> {
  const rng = new Random(11);
  const encoder = new Encoder(config, 5);
  const w = tf.variable(randomDictionary(config.d, config.h, rng));
  disposers.push(
    () => encoder.dispose(),
    () => w.dispose(),
  );
  const x = Float32Array.from({ length: rows * config.d }, () => 0.5 * rng.normal());
  const variables = [...encoder.variables(), w];
  const objective = () => {
    const xt = tf.tensor2d(x, [rows, config.d]);
    return annealedObjective(
      batchEntropies(pointStatistics(xt, normalizeColumns(w), encoder.forward(xt)), config.d),
      gamma,
      delta,
    );
  };
  const expected = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(objective, variables);
    return { value: value.dataSync()[0]!, grads: variables.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  });
  const native = await EncoderGradient.create(config, 2);
  disposers.push(() => native.dispose());
  const params = new Float32Array(native.offsets.at(-1)!);
  variables.forEach((v, i) => params.set(v.dataSync() as Float32Array, native.offsets[i]!));
  const gradient = new Float32Array(params.length);
  const value = await native.compute(x, rows, params, gamma, delta, gradient);
  expect(Math.abs(value - expected.value)).toBeLessThan(1e-5 * Math.abs(expected.value));
  expected.grads.forEach((g, i) => {
    const actual = gradient.subarray(native.offsets[i]!, native.offsets[i + 1]!);
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const error = actual.reduce((m, v, k) => Math.max(m, Math.abs(v - g[k]!)), 0);
    expect(scale, `variable ${i} has a gradient`).toBeGreaterThan(0);
    expect(error, `variable ${i}: max error ${error} against max |∂| ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
  });
}

describe('the encoder gradient under onnxruntime', () => {
  for (const family of ['diag', 'lowrank'] as const) {
    it(`${family}: equals TensorFlow.js's autodiff, small widths, annealed`, async () => {
      await compare({ d: 12, h: 7, family, rank: 3, hidden: 20, inner: 30, blocks: 2 }, 33, 2.5, 0.7);
    });
    it(`${family}: equals TensorFlow.js's autodiff at the default widths (D = 256, H = 100)`, async () => {
      await compare(defaultEncoderConfig(256, 100, family), 256, 1, 1);
    });
  }
});
