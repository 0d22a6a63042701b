/**
 * Training-step throughput of the amortized learner (D = 256, H = 100, batch 512, default encoder)
 * against two baselines measured in the same run: the same step with tfjs's own matMul gradients
 * (the naive version design.md describes), and the bare wasm matMul rate, which bounds what one
 * core can do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import { defaultEncoderConfig, MIN_STD, type AmortizedFamily } from '../graph/encoder-spec.ts';
import { Encoder } from '../training/model/encoder.ts';
import type { Dense } from '../training/model/dense.ts';
import { annealedObjective, batchEntropies } from '../training/objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../training/objective/point-statistics.ts';
import type { Posterior } from '../training/objective/posterior.ts';
import { Adam } from '../training/optim/adam.ts';
import { randomDictionary } from '../training/init/random-dictionary.ts';
import { tidyRead } from '../training/tensor/tidy-read.ts';

export interface StepMeasurement {
  name: string;
  msPerStep: number;
  samplesPerSecond: number;
  peakRssMiB: number;
  peakTensorMiB: number;
}

const D = 256;
const H = 100;
const BATCH = 512;

/** The encoder's forward pass with tfjs's built-in matMul (transposed products in its gradient). */
function naiveForward(encoder: Encoder, x: tf.Tensor2D): Posterior {
  const dense = (l: Dense, v: tf.Tensor2D) => tf.add(tf.matMul(v, l.weight), l.bias) as tf.Tensor2D;
  let h = dense(encoder.input, x);
  for (const b of encoder.blocks) h = tf.add(h, dense(b.project, tf.relu(dense(b.expand, tf.relu(h)))));
  const mean = dense(encoder.meanHead, h);
  const std = tf.add(tf.softplus(dense(encoder.stdHead, h)), MIN_STD) as tf.Tensor2D;
  if (!encoder.factorHead) return { family: 'diag', mean, std };
  const factor = tf.reshape(dense(encoder.factorHead, h), [x.shape[0], H, encoder.config.rank]) as tf.Tensor3D;
  return { family: 'lowrank', mean, factor, diagStd: std };
}

export function measureTrainingStep(family: AmortizedFamily, naive: boolean, steps: number): StepMeasurement {
  const rng = new Random(7);
  const encoder = new Encoder(defaultEncoderConfig(D, H, family), 7);
  const w = tf.variable(randomDictionary(D, H, rng));
  const x = tf.tensor2d(
    Float32Array.from({ length: BATCH * D }, () => rng.normal() * 0.3),
    [BATCH, D],
  );
  const adam = new Adam([...encoder.variables(), w], { learningRate: 1e-3 });
  const forward = naive ? (v: tf.Tensor2D) => naiveForward(encoder, v) : (v: tf.Tensor2D) => encoder.forward(v);
  let peakRss = 0;
  let peakTensor = 0;
  const step = () => {
    tf.tidy(() => {
      const value = adam.update(
        () => annealedObjective(batchEntropies(pointStatistics(x, normalizeColumns(w), forward(x)), D)),
        'maximize',
      );
      value.dataSync();
      peakTensor = Math.max(peakTensor, tf.memory().numBytes);
    });
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  step();
  step();
  const started = performance.now();
  for (let i = 0; i < steps; i++) step();
  const msPerStep = (performance.now() - started) / steps;
  adam.dispose();
  encoder.dispose();
  tf.dispose([w, x]);
  return {
    name: `${family}${naive ? ', tfjs matMul gradients (naive)' : ''}`,
    msPerStep,
    samplesPerSecond: (BATCH * 1000) / msPerStep,
    peakRssMiB: peakRss / 2 ** 20,
    peakTensorMiB: peakTensor / 2 ** 20,
  };
}

/**
 * GFLOP/s of a plain 512×512 by 512×512 matMul on the active backend: the best of five rounds, since
 * a shared VM's rate drifts by 2× within a minute and the bound should not depend on one bad round.
 */
export function matMulRate(): number {
  const a = tf.randomNormal([512, 512]);
  const b = tf.randomNormal([512, 512]);
  tf.matMul(a, b).dispose();
  const repeats = 10;
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < repeats; i++) tidyRead(() => tf.matMul(a, b));
    best = Math.max(best, (2 * 512 ** 3 * repeats) / ((performance.now() - started) / 1000) / 1e9);
  }
  tf.dispose([a, b]);
  return best;
}

/**
 * Multiply-add FLOPs of one training step: forward + backward ≈ 3 × forward for every product but
 * the input layer's, whose data needs no gradient (2 ×; tfjs's autodiff skips it as well).
 */
export function stepFlops(family: AmortizedFamily, rank = 5): number {
  const widths: Array<[number, number]> = [
    [D, 2 * D],
    [2 * D, 3 * D],
    [3 * D, 2 * D],
    [2 * D, 3 * D],
    [3 * D, 2 * D],
    [2 * D, H],
    [2 * D, H],
    [D, H], // reconstruction W̃ν
  ];
  if (family === 'lowrank') widths.push([2 * D, H * rank], [H, D * rank]);
  return 2 * BATCH * (3 * widths.reduce((sum, [i, o]) => sum + i * o, 0) - D * 2 * D);
}
