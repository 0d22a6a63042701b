/**
 * Refinement of independent batches on several cores: one worker thread per core, each with its own
 * tfjs backend and a copy of the frozen model, fed batch by batch. With one thread, batches are
 * refined on the calling thread. Results do not depend on the number of threads (each batch is one
 * deterministic L-BFGS run).
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { PosteriorFamily } from '../objective/posterior.ts';
import type { PosteriorArrays } from '../objective/posterior-arrays.ts';
import type { FrozenModel } from '../artifacts/frozen-model.ts';
import { refineBatch, type RefinedBatch, type RefineOptions } from './refine-batch.ts';
import { nextMessage, startTsWorker } from '@entropy-sc/core/worker/ts-worker';

export interface RefineJob {
  id: number;
  /** data [B, D] */
  x: Float32Array;
  start: PosteriorArrays;
  target: PosteriorFamily;
  options: RefineOptions;
}

type Reply = { id: number; result: RefinedBatch } | { id: number; error: string };

export class RefinePool {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private nextId = 0;

  private constructor(
    private readonly model: FrozenModel,
    private readonly workers: Worker[],
  ) {
    this.idle.push(...workers);
  }

  /** @param threads worker threads (1: refine on the calling thread) */
  static async create(model: FrozenModel, threads: number): Promise<RefinePool> {
    if (threads <= 1) return new RefinePool(model, []);
    const backend = tf.getBackend();
    const workers = Array.from({ length: threads }, () =>
      startTsWorker(new URL('./refine-worker.ts', import.meta.url), { backend, model }, { unref: true }),
    );
    try {
      await Promise.all(workers.map((w, i) => nextMessage(w, `refinement worker ${i}`)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new RefinePool(model, workers);
  }

  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  /** Refines one batch (see refineBatch) on the next idle thread. */
  async refine(
    x: Float32Array,
    start: PosteriorArrays,
    target: PosteriorFamily,
    options: RefineOptions = {},
  ): Promise<RefinedBatch> {
    if (this.workers.length === 0) return refineBatch(x, this.model, start, target, options);
    const worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    try {
      const job: RefineJob = { id: this.nextId++, x, start, target, options };
      return await new Promise<RefinedBatch>((resolve, reject) => {
        const onMessage = (reply: Reply) => {
          if (reply.id !== job.id) return;
          worker.off('message', onMessage).off('error', reject);
          if ('error' in reply) reject(new Error(`refinement worker: ${reply.error}`));
          else resolve(reply.result);
        };
        worker.on('message', onMessage).once('error', reject);
        worker.postMessage(job);
      });
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
