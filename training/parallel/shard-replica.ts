/**
 * One thread's part of a data-parallel training step (math: training/objective/statistics-gradient.ts).
 * Each thread holds a replica of the encoder and W and, for its shard of the minibatch:
 *   1. computes the point statistics and their shard sums S_k, and publishes S_k;
 *   2. after a barrier, forms g = ∂f/∂S at the whole batch's S = Σ_k S_k and takes the gradient of
 *      the linear surrogate g·S_k(θ): its shard's share of the exact gradient of L_{γ,δ};
 *   3. after a barrier, applies Adam to its slice of the shared parameters with the summed gradient.
 * Phase 2 happens inside the same tf.variableGrads call as phase 1 (the barrier waits synchronously
 * while the tape is alive), so the forward pass runs once and no tensors outlive the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Encoder } from '../encoder/encoder.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { objectiveGradient } from '../objective/statistics-gradient.ts';
import type { Barrier } from './barrier.ts';
import { copiedTensor } from '../tensor/copied-tensor.ts';
import { readInto } from '../tensor/read-into.ts';
import { adamStepRange } from './shared-adam.ts';
import { Control, Scalar, type SharedState } from './shared-state.ts';

export class ShardReplica {
  private readonly variables: tf.Variable[];

  /**
   * @param index this thread's index (0: the main thread)
   * @param rates Adam's learning rate per variable
   */
  constructor(
    private readonly index: number,
    private readonly shared: SharedState,
    private readonly barrier: Barrier,
    readonly encoder: Encoder,
    readonly dictionary: tf.Variable<tf.Rank.R2>,
    private readonly rates: readonly number[],
  ) {
    this.variables = [...encoder.variables(), dictionary];
    const sizes = this.variables.map((v) => v.size);
    if (sizes.join() !== shared.layout.sizes.join()) throw new Error(`shard replica: variable sizes ${sizes.join()} differ from the shared layout's ${shared.layout.sizes.join()}`);
  }

  /** Copies the shared master parameters into this thread's variables. */
  pull(): void {
    const { params, offsets } = this.shared;
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(copiedTensor(params.subarray(offsets[i]!, offsets[i + 1]!), v.shape))));
  }

  /** Publishes the master parameters from this thread's variables. */
  push(): void {
    const { params, offsets } = this.shared;
    this.variables.forEach((v, i) => readInto(v, params, offsets[i]!));
  }

  /** One training step, entered by every thread after the start barrier. */
  step(): void {
    const { control, scalars, layout } = this.shared;
    // Read before the first barrier: the main thread writes the next step's values once it has
    // passed the last one, possibly while this thread still applies Adam.
    const rows = control[Control.rows]!;
    const adamStep = control[Control.step]!;
    const gamma = scalars[Scalar.gamma]!;
    const delta = scalars[Scalar.delta]!;
    const [lo, hi] = this.shared.shard(this.index, rows);
    this.pull();
    const gradient = this.shared.gradient(this.index);
    if (hi > lo) {
      const { value, grads } = tf.variableGrads(() => {
        const x = copiedTensor<tf.Rank.R2>(this.shared.batch.subarray(lo * layout.d, hi * layout.d), [hi - lo, layout.d]);
        const stats = pointStatistics(x, normalizeColumns(this.dictionary), this.encoder.forward(x));
        const scaledM = tf.sum(stats.scaledM, 0);
        const squaredError = tf.sum(stats.squaredError);
        const logDet = tf.sum(stats.logDet);
        const sums = tf.concat([scaledM, tf.stack([squaredError, logDet])]).dataSync();
        this.shared.writeSums(this.index, sums.subarray(0, layout.h), sums[layout.h]!, sums[layout.h + 1]!);
        this.barrier.wait();
        const g = objectiveGradient(this.shared.totalSums(), rows, layout.d, gamma, delta);
        const surrogate = tf.addN([tf.sum(tf.mul(tf.tensor1d(Float32Array.from(g.scaledM)), scaledM)), tf.mul(g.squaredError, squaredError), tf.mul(g.logDet, logDet)]);
        return surrogate as tf.Scalar;
      }, this.variables);
      this.variables.forEach((v, i) => readInto(grads[v.name]!, gradient, this.shared.offsets[i]!));
      tf.dispose([value, ...Object.values(grads)]);
    } else {
      this.shared.writeSums(this.index, new Float64Array(layout.h), 0, 0);
      this.barrier.wait();
      gradient.fill(0);
    }
    this.barrier.wait();
    const [start, end] = this.shared.parameterRange(this.index);
    adamStepRange(this.shared, adamStep, this.rates, start, end);
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
