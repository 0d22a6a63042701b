/**
 * Amortized learning (as amortized/amortized-learner.ts) with the encoder's matrix products under
 * onnxruntime on every core (encoder-gradient.ts): per minibatch, the exact gradient of the whole
 * batch's L_{γ,δ}, then Adam (optim/flat-adam.ts) on flat parameter vectors. Same initialisation,
 * minibatch order and checkpoint arrays as the other amortized learners, so they agree up to float
 * rounding and read each other's checkpoints. The TensorFlow.js encoder and dictionary hold the
 * parameters after every epoch (for evaluation, export and the run files).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import { evaluateEncoder } from '../evaluate/onnx-evaluation.ts';
import { adamStep, type FlatAdamState } from '../optim/flat-adam.ts';
import type { EpochContext, Learner, LearnerState } from '../run/learner.ts';
import { AmortizedModel, type AmortizedOptions } from '../amortized/amortized-model.ts';
import { loadFlatState, saveFlatState } from '../amortized/flat-checkpoint.ts';
import { copiedTensor } from '../tensor/copied-tensor.ts';
import { EncoderGradient } from './encoder-gradient.ts';

export interface NativeAmortizedOptions extends AmortizedOptions {
  /** onnxruntime's intra-op threads (the run's --workers) */
  threads: number;
}

export class NativeAmortizedLearner extends AmortizedModel<NativeAmortizedOptions> implements Learner {
  private readonly flat: FlatAdamState;
  private readonly gradient: Float32Array;
  private readonly rows: Float32Array;
  private native: EncoderGradient | null = null;
  private step = 0;

  private constructor(options: NativeAmortizedOptions) {
    super(options);
    const offsets = [0];
    for (const v of this.variables) offsets.push(offsets.at(-1)! + v.size);
    const size = offsets.at(-1)!;
    this.flat = { params: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size), offsets };
    this.variables.forEach((v, i) => this.flat.params.set(v.dataSync() as Float32Array, offsets[i]!));
    this.gradient = new Float32Array(size);
    this.rows = new Float32Array(options.batch * options.encoder.d);
  }

  static async create(options: NativeAmortizedOptions): Promise<NativeAmortizedLearner> {
    const learner = new NativeAmortizedLearner(options);
    const native = await EncoderGradient.create(options.encoder, options.threads);
    if (native.offsets.join() !== learner.flat.offsets.join()) {
      await native.dispose();
      learner.dispose();
      throw new Error('NativeAmortizedLearner: the gradient graphs and the encoder disagree on the variables');
    }
    learner.native = native;
    return learner;
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
        value = await native.compute(this.rows.subarray(0, rows.length * d), rows.length, this.flat.params, gamma, delta, this.gradient);
        if (!Number.isFinite(value)) return value;
        adamStep(this.flat, this.gradient, ++this.step, this.learningRates);
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
    return saveFlatState(this.flat, this.step);
  }

  loadState(saved: LearnerState): void {
    this.step = loadFlatState(this.flat, saved);
    this.pull();
  }

  override describe(): Record<string, unknown> {
    const base = super.describe();
    return { ...base, optimizer: { ...(base['optimizer'] as object), workers: this.options.threads } };
  }

  /** The TensorFlow.js variables take the flat parameters. */
  private pull(): void {
    const { params, offsets } = this.flat;
    tf.tidy(() => this.variables.forEach((v, i) => v.assign(copiedTensor(params.subarray(offsets[i]!, offsets[i + 1]!), v.shape))));
  }

  dispose(): void {
    void this.native?.dispose();
    this.native = null;
    this.encoder.dispose();
    this.dictionary.dispose();
  }
}
