/**
 * Amortized learning on a GPU backend: the steps of AmortizedLearner (same initialisation, the same
 * minibatches in the same order, Adam, the same checkpoint layout), arranged for a device that runs
 * ahead of the host. Rows go up in chunks of many minibatches (sliced on the device), and the
 * objective is read back asynchronously once per log interval, never inside a step: a read waits for
 * the device to finish, and tfjs-backend-webgpu cannot read synchronously in Node at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '../tensor/gather-rows.ts';
import { AdamAmortizedModel } from './adam-amortized-model.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';

/** rows uploaded at once (64 MiB at D = 256) */
const CHUNK_BYTES = 64 * 2 ** 20;
/** the objective is read (and progress shown) after this many rows of steps */
const LOG_ROWS = 16_384;

export class DeviceAmortizedLearner extends AdamAmortizedModel implements Learner {
  async trainEpoch(context: EpochContext): Promise<number> {
    const { x, n, d, gamma, delta } = context;
    const { batch } = this.options;
    const order = context.rng.permutation(n);
    const steps = this.unitsPerEpoch(n);
    const stepsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * d * batch)));
    const readEvery = Math.max(1, Math.round(LOG_ROWS / batch));
    let value = NaN;
    for (let first = 0; first < steps; first += stepsPerChunk) {
      const end = Math.min(steps, first + stepsPerChunk);
      const chunk = gatherRows(x, d, order.subarray(first * batch, Math.min(n, end * batch)));
      try {
        for (let step = first; step < end; step++) {
          const rows = Math.min(n, (step + 1) * batch) - step * batch;
          const objective = tf.tidy(() =>
            this.step(tf.slice(chunk, [(step - first) * batch, 0], [rows, d]), gamma, delta),
          );
          if ((step + 1) % readEvery !== 0 && step + 1 !== steps) {
            objective.dispose();
            continue;
          }
          value = (await objective.data())[0]!;
          objective.dispose();
          if (!Number.isFinite(value)) return value;
          context.onProgress(step + 1, value);
        }
      } finally {
        chunk.dispose();
      }
    }
    return value;
  }

  async saveState(): Promise<LearnerState> {
    const values = await Promise.all(this.variables.map((v) => v.data() as Promise<Float32Array>));
    return this.stateOf(values, await this.adam.readState());
  }
}
