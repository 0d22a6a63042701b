/**
 * A process that evaluates an encoder once and returns from its module without exiting
 * (statistics-pool.test.ts): it must end by itself, though the statistics workers live on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/random.ts';
import { useBackend } from '../../training/backend/backend.ts';
import { defaultEncoderConfig } from '../../graph/encoder-spec.ts';
import { Encoder } from '../../training/model/encoder.ts';
import { evaluateEncoder } from '../../training/evaluate/onnx-evaluation.ts';

await useBackend('wasm');
const rng = new Random(1);
const [n, d, h] = [300, 16, 8];
const report = await evaluateEncoder(new Encoder(defaultEncoderConfig(d, h, 'diag'), 2), {
  x: Float32Array.from({ length: n * d }, () => rng.normal()),
  n,
  d,
  w: tf.tensor2d(
    Float32Array.from({ length: d * h }, () => rng.normal()),
    [d, h],
  ),
  seed: 3,
});
process.stdout.write(`elbo ${report.elbo}\n`);
