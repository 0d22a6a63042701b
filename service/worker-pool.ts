/**
 * A pool of encode worker threads, one onnxruntime session each. Each worker holds up to
 * `jobsPerWorker` batches: it encodes one while the next waits in its message queue, so it never
 * idles waiting for the main thread to answer and dispatch (which takes long on a loaded machine).
 * A worker that dies fails the requests of its batches once (WorkerCrashedError, a 500) and is
 * replaced; the replacement takes new batches as soon as it has loaded the model. Workers hand each
 * batch's rows buffer back to the pool of buffers (buffer-pool.ts), where the next batches take theirs.
 */
import type { Worker } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { BatchRunner } from './batcher.ts';
import { BufferPool } from './buffer-pool.ts';
import { WorkerCrashedError } from './http-error.ts';
import type { ModelInfo, Outputs } from './model-info.ts';
import { startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import type { EncodeJob, WorkerInit, WorkerMessage } from './worker-protocol.ts';

export interface PoolOptions {
  modelPath: string;
  provider?: string;
  workers: number;
  threadsPerWorker: number;
  /** rows per onnxruntime run at most (a request larger than a batch runs in pieces) */
  maxRowsPerRun?: number;
  /** batches sent to a worker before it answers the first (default 2) */
  jobsPerWorker?: number;
  /** the worker module; tests give a stand-in that speaks the same protocol */
  entry?: URL;
  /** a replacement that fails to start is retried after this long (default 1 s) */
  respawnDelayMs?: number;
  /** told each time a worker died and is being replaced */
  onRestart?: (reason: string) => void;
  /** where batches take their rows buffers and workers give them back (default: a pool of its own) */
  buffers?: BufferPool;
}

interface Job {
  id: number;
  resolve(outputs: Outputs): void;
  reject(error: unknown): void;
}

class Slot {
  ready = false;
  readonly jobs = new Map<number, Job>();
  lastError = '';
  constructor(readonly worker: Worker) {}
}

const DEFAULT_ENTRY = new URL('./encode-worker.ts', import.meta.url);

export class WorkerPool implements BatchRunner {
  private readonly slots = new Set<Slot>();
  private readonly listeners: (() => void)[] = [];
  readonly buffers: BufferPool;
  private nextId = 0;
  private closing = false;

  private constructor(
    private readonly options: PoolOptions,
    readonly info: ModelInfo,
  ) {
    this.buffers = options.buffers ?? new BufferPool();
  }

  /** Starts every worker and waits until all have loaded the model; a model that fails to load is a UserError. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const starting = Array.from({ length: options.workers }, () => spawnSlot(options));
    const results = await Promise.allSettled(starting.map((s) => s.ready));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      await Promise.all(starting.map((s) => s.slot.worker.terminate()));
      throw failure.reason;
    }
    const info = (results[0] as PromiseFulfilledResult<ModelInfo>).value;
    const pool = new WorkerPool(options, info);
    for (const { slot } of starting) pool.adopt(slot);
    return pool;
  }

  available(): number {
    let free = 0;
    for (const slot of this.slots) if (slot.ready) free += this.depth - slot.jobs.size;
    return free;
  }

  idle(): number {
    let idle = 0;
    for (const slot of this.slots) if (slot.ready && slot.jobs.size === 0) idle++;
    return idle;
  }

  private get depth(): number {
    return this.options.jobsPerWorker ?? 2;
  }

  onAvailable(listener: () => void): void {
    this.listeners.push(listener);
  }

  run(x: Float32Array | Uint8Array, rows: number, outputs: readonly OutputName[], shape?: number[]): Promise<Outputs> {
    // The least busy worker: an idle one first.
    let slot: Slot | undefined;
    for (const s of this.slots)
      if (s.ready && s.jobs.size < this.depth && (!slot || s.jobs.size < slot.jobs.size)) slot = s;
    if (!slot) return Promise.reject(new Error('run() called with no free worker'));
    const chosen = slot;
    return new Promise<Outputs>((resolve, reject) => {
      const job: Job = { id: this.nextId++, resolve, reject };
      chosen.jobs.set(job.id, job);
      const message: EncodeJob = { id: job.id, x, rows, outputs, shape };
      chosen.worker.postMessage(message, [x.buffer as ArrayBuffer]);
    });
  }

  /** Stops every worker; running batches are not waited for (the batcher drains first). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
    this.slots.clear();
  }

  private adopt(slot: Slot): void {
    this.slots.add(slot);
    slot.worker.on('message', (message: WorkerMessage) => {
      if (message.type !== 'done' && message.type !== 'error') return;
      const job = slot.jobs.get(message.id);
      if (!job) return;
      slot.jobs.delete(message.id);
      if (message.type === 'done' && message.spent) this.buffers.give(message.spent);
      if (message.type === 'done') job.resolve(message.outputs);
      else job.reject(new Error(`encode worker: ${message.message}`));
      this.wake();
    });
    slot.worker.on('exit', (code) => {
      this.slots.delete(slot);
      // A worker that never became ready is retried by replace().
      if (this.closing || !slot.ready) return;
      for (const job of slot.jobs.values()) job.reject(new WorkerCrashedError());
      this.options.onRestart?.(`worker exited with code ${code}${slot.lastError ? `: ${slot.lastError}` : ''}`);
      this.replace();
    });
  }

  private replace(): void {
    if (this.closing) return;
    const { slot, ready } = spawnSlot(this.options);
    this.adopt(slot);
    ready.then(
      () => this.wake(),
      (error: unknown) => {
        this.slots.delete(slot);
        void slot.worker.terminate();
        if (this.closing) return;
        this.options.onRestart?.(
          `a replacement worker failed to start (${error instanceof Error ? error.message : String(error)}); retrying`,
        );
        setTimeout(() => this.replace(), this.options.respawnDelayMs ?? 1000).unref();
      },
    );
  }

  private wake(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A new worker and the promise of its model info (rejects if it fails to load the model or exits first). */
function spawnSlot(options: PoolOptions): { slot: Slot; ready: Promise<ModelInfo> } {
  const init: WorkerInit = {
    modelPath: options.modelPath,
    provider: options.provider,
    threads: options.threadsPerWorker,
    maxRowsPerRun: options.maxRowsPerRun,
  };
  const slot = new Slot(startTsWorker(options.entry ?? DEFAULT_ENTRY, init));
  slot.worker.on('error', (error) => {
    slot.lastError = error.message;
  });
  const ready = new Promise<ModelInfo>((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        slot.ready = true;
        done();
        resolve(message.info);
      } else if (message.type === 'failed') {
        done();
        reject(
          message.userError
            ? new UserError(message.message)
            : new Error(`encode worker failed to start: ${message.message}`),
        );
      }
    };
    const onExit = (code: number) => {
      done();
      reject(
        new Error(
          `encode worker exited (code ${code}) before it was ready${slot.lastError ? `: ${slot.lastError}` : ''}`,
        ),
      );
    };
    const done = () => {
      slot.worker.off('message', onMessage);
      slot.worker.off('exit', onExit);
    };
    slot.worker.on('message', onMessage);
    slot.worker.on('exit', onExit);
  });
  return { slot, ready };
}
