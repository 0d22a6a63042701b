/**
 * Dynamic micro-batching across concurrent requests, as Triton's dynamic batcher does: requests
 * wait in a bounded queue; a batch of whole requests (at most `maxBatchRows` rows, unless one
 * request alone is larger) starts when a worker is free and either enough rows are queued or the
 * oldest request has waited `maxQueueDelayMs`; a worker busy already is sent only full batches
 * ahead. Each request gets exactly its own rows back.
 */
import { OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { BufferPool } from './buffer-pool.ts';
import { QueueFullError, RequestTimeoutError } from './http-error.ts';
import type { Outputs } from './model-info.ts';

/** Runs batches: the worker pool, or a stand-in in tests. */
export interface BatchRunner {
  /** batches that could start now */
  available(): number;
  /**
   * batches that would start running at once (workers with nothing to do); without it, every
   * available batch slot counts as idle
   */
  idle?(): number;
  /**
   * @param x rows [rows, D], owned by the runner from now on (its buffer may be transferred); for an
   *   image model uint8 images of `shape` [rows, height, width, channels]
   * @returns the named outputs, each [rows, ...]
   */
  run(x: Float32Array | Uint8Array, rows: number, outputs: readonly OutputName[], shape?: number[]): Promise<Outputs>;
  /** called whenever a batch slot becomes free */
  onAvailable(listener: () => void): void;
  /** where a batch's rows buffer comes from, and where the requests' own go once copied into it */
  buffers?: BufferPool;
}

/**
 * How a request learns that its client went away: an AbortSignal, or a function that registers
 * `drop` to be called then (cheaper per request than an AbortController: see client-abort.ts).
 */
export type ClientGone = AbortSignal | ((drop: (reason: unknown) => void) => void);

export interface BatcherOptions {
  maxBatchRows: number;
  maxQueueDelayMs: number;
  /** rows that may wait; a request that would exceed this gets a 503 */
  maxQueueRows: number;
  /** a request not answered within this gets a 504 */
  timeoutMs: number;
}

export interface BatcherObserver {
  batch(rows: number): void;
  rejected(reason: 'queue_full' | 'timeout'): void;
}

interface Pending {
  x: Float32Array | Uint8Array;
  /** images' shape (image models: batches of one request, maxBatchRows 1) */
  shape?: number[];
  rows: number;
  outputs: readonly OutputName[];
  enqueuedAt: number;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve(outputs: Outputs): void;
  reject(error: unknown): void;
}

export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private rowsQueued = 0;
  private batchesInFlight = 0;
  private delayTimer: NodeJS.Timeout | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly runner: BatchRunner,
    readonly options: BatcherOptions,
    private readonly observer: BatcherObserver = { batch() {}, rejected() {} },
  ) {
    runner.onAvailable(() => this.dispatch());
  }

  get queuedRows(): number {
    return this.rowsQueued;
  }

  get queuedRequests(): number {
    return this.queue.length;
  }

  /** Whether a request of `rows` rows would be refused now. */
  wouldOverflow(rows: number): boolean {
    return this.rowsQueued + rows > this.options.maxQueueRows;
  }

  /**
   * Queues one request's rows.
   * @param x rows [rows, D] in a buffer that is the request's alone (nothing else may share it): the
   *   batcher owns that whole buffer from now on; it may move to a worker or, once copied into a
   *   batch, go to the runner's pool of buffers
   * @param gone tells when the client went away: rows still queued are dropped
   * @returns the outputs for exactly these rows, each [rows, ...]
   */
  submit(
    x: Float32Array | Uint8Array,
    rows: number,
    outputs: readonly OutputName[],
    gone?: ClientGone,
    shape?: number[],
  ): Promise<Outputs> {
    if (this.wouldOverflow(rows)) {
      this.observer.rejected('queue_full');
      return Promise.reject(new QueueFullError(this.rowsQueued, this.options.maxQueueRows));
    }
    return new Promise<Outputs>((resolve, reject) => {
      const pending: Pending = {
        x,
        shape,
        rows,
        outputs,
        enqueuedAt: performance.now(),
        settled: false,
        timer: setTimeout(() => this.expire(pending), this.options.timeoutMs).unref(),
        resolve: (value) => settle(pending, () => resolve(value)),
        reject: (error) => settle(pending, () => reject(error)),
      };
      this.queue.push(pending);
      this.rowsQueued += rows;
      if (typeof gone === 'function') gone((reason) => this.drop(pending, reason));
      else gone?.addEventListener('abort', () => this.drop(pending, gone.reason), { once: true });
      this.dispatch();
    });
  }

  /** Resolves once nothing is queued and no batch is running. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.batchesInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private expire(pending: Pending): void {
    this.observer.rejected('timeout');
    this.drop(pending, new RequestTimeoutError(this.options.timeoutMs));
  }

  /** Settles a request now; still queued, it leaves the queue; in a running batch, its results are dropped later. */
  private drop(pending: Pending, error: unknown): void {
    if (pending.settled) return;
    const index = this.queue.indexOf(pending);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.rowsQueued -= pending.rows;
    }
    pending.reject(error);
    this.notifyIdle();
  }

  private dispatch(): void {
    if (this.delayTimer) {
      clearTimeout(this.delayTimer);
      this.delayTimer = null;
    }
    while (this.queue.length > 0 && this.runner.available() > 0) {
      const full = this.rowsQueued >= this.options.maxBatchRows;
      // A batch sent ahead to a busy worker is a full one: a partial one waits until a worker is
      // idle (a finished batch dispatches again), growing meanwhile, since onnxruntime's cost per
      // row is several times higher for a few rows than for hundreds.
      if (!full && this.runner.idle?.() === 0) return;
      const waited = performance.now() - this.queue[0]!.enqueuedAt;
      if (!full && waited < this.options.maxQueueDelayMs) {
        this.delayTimer = setTimeout(() => this.dispatch(), this.options.maxQueueDelayMs - waited);
        return;
      }
      this.start(this.takeBatch());
    }
  }

  /** Whole requests from the front of the queue, up to maxBatchRows rows (at least one request). */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.rows <= this.options.maxBatchRows)) {
      const next = this.queue.shift()!;
      batch.push(next);
      rows += next.rows;
    }
    this.rowsQueued -= rows;
    return batch;
  }

  private start(batch: Pending[]): void {
    const rows = batch.reduce((sum, p) => sum + p.rows, 0);
    const x = batch.length === 1 ? batch[0]!.x : this.concatRows(batch, rows);
    const shape = batch.length === 1 ? batch[0]!.shape : undefined;
    const wanted = new Set(batch.flatMap((p) => p.outputs));
    const outputs = OUTPUT_NAMES.filter((name) => wanted.has(name));
    this.observer.batch(rows);
    this.batchesInFlight++;
    this.runner
      .run(x, rows, outputs, shape)
      .then((result) => {
        let first = 0;
        for (const p of batch) {
          p.resolve(rowsOf(result, p.outputs, first, p.rows));
          first += p.rows;
        }
      })
      // Requests answered already (or timed out) ignore a second settlement.
      .catch((error: unknown) => {
        for (const p of batch) p.reject(error);
      })
      .finally(() => {
        this.batchesInFlight--;
        this.notifyIdle();
      });
  }

  /** The rows of several requests as one batch [rows, D] (image models batch one request at a time: never here). */
  private concatRows(batch: readonly Pending[], rows: number): Float32Array {
    const length = rows * (batch[0]!.x.length / batch[0]!.rows);
    const { buffers } = this.runner;
    const x = new Float32Array(buffers?.take(length * 4) ?? new ArrayBuffer(length * 4), 0, length);
    let offset = 0;
    for (const p of batch) {
      x.set(p.x, offset);
      offset += p.x.length;
      // The request's rows are in its own buffer (submit's contract), of no use once copied.
      buffers?.give(p.x.buffer as ArrayBuffer);
    }
    return x;
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.batchesInFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function settle(pending: Pending, finish: () => void): void {
  if (pending.settled) return;
  pending.settled = true;
  clearTimeout(pending.timer);
  finish();
}

/** The rows [first, first + rows) of the named outputs of a batch (views, not copies). */
function rowsOf(result: Outputs, names: readonly OutputName[], first: number, rows: number): Outputs {
  const own: Outputs = {};
  for (const name of names) {
    const tensor = result[name];
    if (!tensor) throw new Error(`the encoder did not return output '${name}'`);
    const perRow = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    own[name] = {
      data: tensor.data.subarray(first * perRow, (first + rows) * perRow),
      shape: [rows, ...tensor.shape.slice(1)],
    };
  }
  return own;
}
