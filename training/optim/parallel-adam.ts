/**
 * Adam's update on flat vectors (flat-adam.ts) split over threads: the parameters, both moments and
 * the gradient live in shared memory, and each of threads − 1 workers updates its own contiguous
 * range while the calling thread updates the first. Elementwise, so the result is the same for any
 * number of threads.
 */
import type { Worker } from 'node:worker_threads';
import { nextMessage, startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import { adamStep, type FlatAdamState } from './flat-adam.ts';

/** What a worker is started with: views of the shared vectors and its range. */
export interface AdamWorkerData {
  buffers: { params: SharedArrayBuffer; m: SharedArrayBuffer; v: SharedArrayBuffer; gradient: SharedArrayBuffer };
  offsets: readonly number[];
  from: number;
  to: number;
}

/** One step's orders to a worker; it answers `step` when done, or an error. */
export interface AdamOrder {
  step: number;
  rates: readonly number[];
}

export class ParallelAdam {
  private constructor(
    readonly state: FlatAdamState,
    /** ∂L/∂params [P], filled by the caller before each step */
    readonly gradient: Float32Array,
    private readonly workers: Worker[],
    /** the calling thread's range is [0, split) */
    private readonly split: number,
  ) {}

  /** @param offsets start of every variable, and P at the end @param threads ≥ 1 */
  static async create(offsets: readonly number[], threads: number): Promise<ParallelAdam> {
    const size = offsets.at(-1)!;
    const shared = () => new SharedArrayBuffer(4 * size);
    const buffers = { params: shared(), m: shared(), v: shared(), gradient: shared() };
    const state = {
      params: new Float32Array(buffers.params),
      m: new Float32Array(buffers.m),
      v: new Float32Array(buffers.v),
      offsets,
    };
    const bounds = Array.from({ length: threads + 1 }, (_, k) => Math.round((k * size) / threads));
    const workers = bounds.slice(1, -1).map((from, k) => {
      const data: AdamWorkerData = { buffers, offsets, from, to: bounds[k + 2]! };
      return startTsWorker(new URL('./adam-worker.ts', import.meta.url), data, { unref: true });
    });
    try {
      await Promise.all(workers.map((w) => answer(w, 0)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new ParallelAdam(state, new Float32Array(buffers.gradient), workers, bounds[1]!);
  }

  /** One step of maximising the objective with the gradient in `this.gradient` (see adamStep). */
  async step(step: number, rates: readonly number[]): Promise<void> {
    const order: AdamOrder = { step, rates };
    const done = this.workers.map((w) => answer(w, step));
    for (const w of this.workers) w.postMessage(order);
    adamStep(this.state, this.gradient, step, rates, 0, this.split);
    await Promise.all(done);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker's answer `step` (0: started), or its error. */
async function answer(worker: Worker, step: number): Promise<void> {
  const reply = await nextMessage<number | { error: string }>(worker, 'Adam worker');
  if (reply !== step)
    throw new Error(
      `Adam worker: ${typeof reply === 'number' ? `answered step ${reply}, expected ${step}` : reply.error}`,
    );
}
