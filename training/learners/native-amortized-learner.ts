/**
 * Amortized learning (as amortized-learner.ts) with the gradient computed by onnxruntime
 * on every core (encoder-gradient.ts): per minibatch, the exact gradient of the whole batch's
 * L_{γ,δ}, then Adam on flat parameter vectors, split over the same threads
 * (optim/parallel-adam.ts). Same initialisation, minibatch order and checkpoint arrays as the other
 * amortized learners, so they agree up to float rounding and read each other's checkpoints. The TensorFlow.js encoder and dictionary hold the
 * parameters after every epoch (for evaluation, export and the run files).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import { evaluateEncoder } from '../evaluate/onnx-evaluation.ts';
import { ParallelAdam } from '../optim/parallel-adam.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';
import { AmortizedModel, type AmortizedOptions } from './amortized-model.ts';
import { loadFlatState, saveFlatState } from './flat-checkpoint.ts';
import { copiedTensor } from '../tensor/copied-tensor.ts';
import { EncoderGradient } from './encoder-gradient.ts';

export interface NativeAmortizedOptions extends AmortizedOptions {
  /** onnxruntime's intra-op threads (the run's --workers) */
  threads: number;
}

export class NativeAmortizedLearner extends AmortizedModel<NativeAmortizedOptions> implements Learner {
  /** the parameters as onnxruntime reads them: it refuses shared memory */
  private readonly feed: Float32Array;
  private readonly rows: Float32Array;
  private native: EncoderGradient | null;
  private step = 0;

  private constructor(
    options: NativeAmortizedOptions,
    native: EncoderGradient,
    private readonly adam: ParallelAdam,
  ) {
    super(options);
    const { offsets } = adam.state;
    if (
      this.variables.some((v, i) => v.size !== offsets[i + 1]! - offsets[i]!) ||
      this.variables.length + 1 !== offsets.length
    )
      throw new Error('NativeAmortizedLearner: the gradient graph and the encoder disagree on the variables');
    this.variables.forEach((v, i) => adam.state.params.set(v.dataSync() as Float32Array, offsets[i]));
    this.feed = new Float32Array(offsets.at(-1)!);
    this.rows = new Float32Array(options.batch * options.encoder.d);
    this.native = native;
  }

  static async create(options: NativeAmortizedOptions): Promise<NativeAmortizedLearner> {
    const native = await EncoderGradient.create(options.encoder, options.threads);
    let adam: ParallelAdam | null = null;
    try {
      adam = await ParallelAdam.create(native.offsets, options.threads);
      return new NativeAmortizedLearner(options, native, adam);
    } catch (error) {
      await Promise.all([native.dispose(), adam?.close()]);
      throw error;
    }
  }

  async trainEpoch(context: EpochContext): Promise<number> {
    const { x, n, d, gamma, delta } = context;
    const native = this.native;
    if (!native) throw new Error('NativeAmortizedLearner: the learner is disposed');
    const order = context.rng.permutation(n);
    const steps = this.unitsPerEpoch(n);
    let value = NaN;
    try {
      for (let step = 0; step < steps; step++) {
        const rows = order.subarray(step * this.options.batch, Math.min(n, (step + 1) * this.options.batch));
        for (let i = 0; i < rows.length; i++) this.rows.set(x.subarray(rows[i]! * d, (rows[i]! + 1) * d), i * d);
        this.feed.set(this.adam.state.params);
        value = await native.compute(
          this.rows.subarray(0, rows.length * d),
          rows.length,
          this.feed,
          gamma,
          delta,
          this.adam.gradient,
        );
        if (!Number.isFinite(value)) return value;
        await this.adam.step(++this.step, this.learningRates);
        context.onProgress(step + 1, value);
      }
    } finally {
      this.pull();
    }
    return value;
  }

  /** The whole-data report, with the encoder under onnxruntime on every core. */
  evaluate(input: EvaluationInput): Promise<DataSetReport> {
    return evaluateEncoder(this.encoder, input);
  }

  saveState(): LearnerState {
    return saveFlatState(this.adam.state, this.step);
  }

  loadState(saved: LearnerState): void {
    this.step = loadFlatState(this.adam.state, saved);
    this.pull();
  }

  override describe(): Record<string, unknown> {
    const base = super.describe();
    return { ...base, optimizer: { ...(base['optimizer'] as object), workers: this.options.threads } };
  }

  /** The TensorFlow.js variables take the flat parameters. */
  private pull(): void {
    const { params, offsets } = this.adam.state;
    tf.tidy(() =>
      this.variables.forEach((v, i) => v.assign(copiedTensor(params.subarray(offsets[i]!, offsets[i + 1]!), v.shape))),
    );
  }

  dispose(): void {
    void this.native?.dispose();
    void this.adam.close();
    this.native = null;
    this.encoder.dispose();
    this.dictionary.dispose();
  }
}
