/**
 * Training-step throughput of the learner whose gradient is one onnxruntime graph (the default on
 * wasm and cpu; D = 256, H = 100, batch 512, default encoder) with a given number of threads, as a
 * row for bench/run.ts. Steps are timed inside one epoch of synthetic data, after two
 * warm-up steps; the main thread's peak tensor memory only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import { defaultEncoderConfig, type AmortizedFamily } from '../graph/encoder-spec.ts';
import { NativeAmortizedLearner } from '../training/learners/native-amortized-learner.ts';
import type { StepMeasurement } from './training-throughput.ts';

const D = 256;
const H = 100;
const BATCH = 512;
const WARMUP = 2;

export async function measureNativeStep(
  family: AmortizedFamily,
  threads: number,
  steps: number,
): Promise<StepMeasurement> {
  const rng = new Random(7);
  const n = BATCH * (steps + WARMUP);
  const x = Float32Array.from({ length: n * D }, () => rng.normal() * 0.3);
  const learner = await NativeAmortizedLearner.create({
    encoder: defaultEncoderConfig(D, H, family),
    batch: BATCH,
    learningRate: 1e-3,
    dictionaryLearningRate: 1e-2,
    seed: 7,
    threads,
  });
  let peakRss = 0;
  let peakTensor = 0;
  let started = 0;
  let ended = 0;
  try {
    await learner.trainEpoch({
      x,
      n,
      d: D,
      gamma: 1,
      delta: 1,
      rng,
      onProgress: (done) => {
        if (done === WARMUP) started = performance.now();
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        peakTensor = Math.max(peakTensor, tf.memory().numBytes);
      },
    });
    ended = performance.now();
  } finally {
    learner.dispose();
  }
  // the last step's time includes the epoch's closing copy into the TensorFlow.js variables
  const msPerStep = (ended - started) / steps;
  return {
    name: `${family}, gradient graph under onnxruntime (the default)`,
    msPerStep,
    samplesPerSecond: (BATCH * 1000) / msPerStep,
    peakRssMiB: peakRss / 2 ** 20,
    peakTensorMiB: peakTensor / 2 ** 20,
  };
}
