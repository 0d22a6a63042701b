/**
 * Amortized learning (as amortized/amortized-learner.ts) on several cores: each minibatch is split
 * into `workers` shards, one per thread (the main thread is thread 0, the others are worker_threads),
 * and a step applies Adam to the exact gradient of the whole batch's L_{γ,δ}, assembled from the
 * shards through ∂f/∂S (shard-replica.ts). Same initialisation, minibatch order and checkpoint
 * arrays as AmortizedLearner, so the two agree up to float rounding and share checkpoints.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import * as tf from '@tensorflow/tfjs-core';
import { ensure } from '@entropy-sc/core/errors';
import { AmortizedModel, type AmortizedOptions } from '../amortized/amortized-model.ts';
import type { DataSetReport, EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import { evaluateEncoder } from '../evaluate/onnx-evaluation.ts';
import { objectiveOfSums } from '../objective/statistics-gradient.ts';
import type { EpochContext, Learner, LearnerState } from '../run/learner.ts';
import { Barrier } from './barrier.ts';
import { ShardReplica } from './shard-replica.ts';
import { Command, Control, Scalar, SharedState } from './shared-state.ts';
import type { WorkerInit } from './worker.ts';

export interface ParallelAmortizedOptions extends AmortizedOptions {
  /** threads that share each minibatch, the main thread included (1: no worker threads) */
  workers: number;
}

const CPU_BACKENDS = ['wasm', 'cpu'];

/** The longest the main thread waits for the workers at one barrier (their start included). */
const WAIT_LIMIT_MS = 300_000;

export class ParallelAmortizedLearner extends AmortizedModel<ParallelAmortizedOptions> implements Learner {
  private readonly shared: SharedState;
  private readonly barrier: Barrier;
  private readonly replica: ShardReplica;
  private readonly threads: Worker[];
  private readonly started: Promise<void>;
  private readonly exited: Promise<void>;
  private step = 0;
  private disposed = false;

  /** Starts the worker threads; `ready()` (or the first synchronous wait for them) awaits their start. */
  constructor(options: ParallelAmortizedOptions) {
    super(options);
    ensure(Number.isInteger(options.workers) && options.workers >= 1, `--workers must be a positive integer, got ${options.workers}`);
    const backend = tf.getBackend();
    // A GPU backend, or tfjs-node with its own threads, gains nothing from more JavaScript threads.
    ensure(options.workers === 1 || CPU_BACKENDS.includes(backend), `--workers ${options.workers} needs the wasm or cpu backend, not ${backend}`);
    const { d, h } = options.encoder;
    const { variables, learningRates: rates } = this;
    this.shared = SharedState.create({
      threads: options.workers,
      d,
      h,
      batch: options.batch,
      sizes: variables.map((v) => v.size),
    });
    this.barrier = new Barrier(this.shared, WAIT_LIMIT_MS);
    this.replica = new ShardReplica(0, this.shared, this.barrier, this.encoder, this.dictionary, rates);
    this.replica.push();
    this.threads = Array.from({ length: options.workers - 1 }, (_, i) =>
      spawnWorker({ index: i + 1, backend, encoder: options.encoder, rates, buffers: this.shared.buffers, layout: this.shared.layout }),
    );
    // An error a worker could not catch itself (it is gone): the next wait of the main thread throws it.
    this.threads.forEach((t, i) => t.on('error', (error) => this.shared.fail(`worker ${i + 1}: ${error.stack ?? error.message}`)));
    this.started = Promise.all(this.threads.map((t, i) => started(t, i + 1, this.shared))).then(() => undefined);
    this.exited = Promise.all(this.threads.map((t) => new Promise<void>((resolve) => t.once('exit', () => resolve())))).then(() => undefined);
    // A failed start also surfaces through `ready()` or the synchronous waits; this only keeps it
    // from being an unhandled rejection when nobody awaits `ready()`.
    this.started.catch(() => undefined);
  }

  /** A learner whose worker threads have started (or the reason they could not). */
  static async create(options: ParallelAmortizedOptions): Promise<ParallelAmortizedLearner> {
    const learner = new ParallelAmortizedLearner(options);
    try {
      await learner.ready();
    } catch (error) {
      learner.dispose();
      throw error;
    }
    return learner;
  }

  /** Resolves once every worker thread is ready; rejects if one failed to start. */
  ready(): Promise<void> {
    return this.started;
  }

  /** Resolves once every worker thread has exited (after dispose()). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  trainEpoch(context: EpochContext): number {
    const { x, n, d, gamma, delta } = context;
    const { control, scalars, batch } = this.shared;
    const order = context.rng.permutation(n);
    const steps = this.unitsPerEpoch(n);
    let value = NaN;
    try {
      for (let step = 0; step < steps; step++) {
        const rows = order.subarray(step * this.options.batch, Math.min(n, (step + 1) * this.options.batch));
        for (let i = 0; i < rows.length; i++) batch.set(x.subarray(rows[i]! * d, (rows[i]! + 1) * d), i * d);
        control[Control.rows] = rows.length;
        control[Control.step] = ++this.step;
        control[Control.command] = Command.step;
        scalars[Scalar.gamma] = gamma;
        scalars[Scalar.delta] = delta;
        this.barrier.wait();
        this.replica.step();
        value = objectiveOfSums(this.shared.totalSums(), rows.length, d, gamma, delta);
        if (!Number.isFinite(value)) break;
        context.onProgress(step + 1, value);
      }
      this.sync();
    } catch (error) {
      this.shared.fail(`main thread: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    return value;
  }

  /** The whole-data report, with the encoder under onnxruntime on every core (the worker threads wait meanwhile). */
  evaluate(input: EvaluationInput): Promise<DataSetReport> {
    return evaluateEncoder(this.encoder, input);
  }

  /** Waits until every thread has finished its part of the last step; then every thread loads the master parameters. */
  private sync(): void {
    this.shared.control[Control.command] = Command.sync;
    this.barrier.wait();
    this.replica.pull();
    this.barrier.wait();
  }

  override describe(): Record<string, unknown> {
    const base = super.describe();
    return { ...base, optimizer: { ...(base['optimizer'] as object), workers: this.options.workers } };
  }

  /** The arrays of AmortizedLearner.saveState (the two learners read each other's checkpoints). */
  saveState(): LearnerState {
    const { params, m, v, offsets } = this.shared;
    const arrays: Record<string, Float32Array> = {};
    for (let i = 0; i + 1 < offsets.length; i++) {
      const [start, end] = [offsets[i]!, offsets[i + 1]!];
      arrays[`var${i}`] = params.slice(start, end);
      arrays[`adam${i}/m`] = m.slice(start, end);
      arrays[`adam${i}/v`] = v.slice(start, end);
    }
    return { state: { adamStep: this.step }, arrays };
  }

  loadState(saved: LearnerState): void {
    const { params, m, v, offsets } = this.shared;
    for (let i = 0; i + 1 < offsets.length; i++) {
      const size = offsets[i + 1]! - offsets[i]!;
      for (const [key, target] of [[`var${i}`, params], [`adam${i}/m`, m], [`adam${i}/v`, v]] as const) {
        const array = saved.arrays[key];
        if (array?.length !== size) throw new Error(`loadState: ${key} has ${array?.length ?? 'no'} elements, the learner needs ${size}`);
        target.set(array, offsets[i]!);
      }
    }
    this.step = saved.state['adamStep'] as number;
    this.sync();
  }

  /** Stops the worker threads (they exit without waiting for a barrier) and frees the tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.shared.close();
    for (const thread of this.threads) void thread.terminate();
    this.encoder.dispose();
    this.dictionary.dispose();
  }
}

function spawnWorker(init: WorkerInit): Worker {
  // A learner that is never disposed must not keep the process alive.
  return startTsWorker(new URL('./worker.ts', import.meta.url), init, { unref: true });
}

function started(worker: Worker, index: number, shared: SharedState): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) =>
      reject(new Error(`worker ${index} of the parallel learner exited (code ${code}) before it was ready${shared.failure() ? `: ${shared.failure()}` : ''}`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', () => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve();
    });
  });
}
