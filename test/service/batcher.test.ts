/** The micro-batcher: own rows back, batch sizes, the delay, the bounded queue, timeouts, failures. */
import { describe, expect, it } from 'vitest';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { MicroBatcher, type BatchRunner, type BatcherOptions } from '../../service/batcher.ts';
import { HttpError, QueueFullError, RequestTimeoutError } from '../../service/http-error.ts';
import type { Outputs } from '../../service/model-info.ts';

const D = 3;

/** mean = row sums per row [rows, 1] and variance = first value [rows, 1], computed per row. */
function reference(x: Float32Array, rows: number): Outputs {
  const mean = new Float32Array(rows);
  const variance = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    mean[i] = x[i * D]! + x[i * D + 1]! + x[i * D + 2]!;
    variance[i] = x[i * D]!;
  }
  return { mean: { data: mean, shape: [rows, 1] }, variance: { data: variance, shape: [rows, 1] } };
}

interface Call {
  x: Float32Array;
  rows: number;
  outputs: readonly OutputName[];
  resolve(o: Outputs): void;
  reject(e: unknown): void;
}

/** A runner with `slots` batch slots whose batches finish when the test says (or at once, with auto). */
class ManualRunner implements BatchRunner {
  readonly calls: Call[] = [];
  private running = 0;
  private listeners: (() => void)[] = [];
  constructor(
    private slots: number,
    private readonly auto = false,
  ) {}
  available() {
    return this.slots - this.running;
  }
  onAvailable(listener: () => void) {
    this.listeners.push(listener);
  }
  run(x: Float32Array, rows: number, outputs: readonly OutputName[]): Promise<Outputs> {
    this.running++;
    return new Promise((resolve, reject) => {
      const call: Call = {
        x: x.slice(),
        rows,
        outputs,
        resolve: (o) => this.done(() => resolve(o)),
        reject: (e) => this.done(() => reject(e)),
      };
      this.calls.push(call);
      if (this.auto) setImmediate(() => call.resolve(reference(call.x, rows)));
    });
  }
  finish(index: number) {
    const call = this.calls[index]!;
    call.resolve(reference(call.x, call.rows));
  }
  setSlots(slots: number) {
    this.slots = slots;
    for (const l of this.listeners) l();
  }
  private done(settle: () => void) {
    this.running--;
    settle();
    for (const l of this.listeners) l();
  }
}

const options = (o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  maxBatchRows: 64,
  maxQueueDelayMs: 0,
  maxQueueRows: 10_000,
  timeoutMs: 10_000,
  ...o,
});

function rowsOf(rows: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * D }, (_, i) => Math.sin(seed * 1000 + i));
}

describe('MicroBatcher', () => {
  it('gives every concurrent request exactly its own rows, in batches of at most maxBatchRows', async () => {
    const runner = new ManualRunner(2, true);
    const batches: number[] = [];
    const batcher = new MicroBatcher(runner, options({ maxBatchRows: 50, maxQueueDelayMs: 1 }), {
      batch: (r) => batches.push(r),
      rejected() {},
    });
    const sizes = Array.from({ length: 60 }, (_, i) => 1 + ((i * 37) % 23));
    const inputs = sizes.map((rows, i) => rowsOf(rows, i));
    const results = await Promise.all(inputs.map((x, i) => batcher.submit(x, sizes[i]!, ['mean', 'variance'])));
    results.forEach((result, i) => {
      const expected = reference(inputs[i]!, sizes[i]!);
      expect(result.mean!.shape).toEqual([sizes[i], 1]);
      expect(Array.from(result.mean!.data)).toEqual(Array.from(expected.mean!.data));
      expect(Array.from(result.variance!.data)).toEqual(Array.from(expected.variance!.data));
    });
    expect(batches.reduce((a, b) => a + b, 0)).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
    // Concurrency made real batches: fewer runs than requests.
    expect(runner.calls.length).toBeLessThan(sizes.length);
  });

  it('waits up to maxQueueDelayMs for more requests while a worker is free, and not once maxBatchRows are queued', async () => {
    const runner = new ManualRunner(1);
    const batcher = new MicroBatcher(runner, options({ maxBatchRows: 10, maxQueueDelayMs: 30 }));
    void batcher.submit(rowsOf(2, 1), 2, ['mean']);
    void batcher.submit(rowsOf(3, 2), 3, ['mean']);
    expect(runner.calls).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(runner.calls.map((c) => c.rows)).toEqual([5]);

    const eager = new ManualRunner(1);
    const full = new MicroBatcher(eager, options({ maxBatchRows: 4, maxQueueDelayMs: 60_000 }));
    void full.submit(rowsOf(4, 3), 4, ['mean']);
    expect(eager.calls.map((c) => c.rows)).toEqual([4]);
  });

  it('sends a busy worker only full batches ahead; a partial one waits for the worker to be idle, growing', async () => {
    // One worker that holds two batches (one running, one waiting), as the worker pool's are.
    const manual = new ManualRunner(2);
    const runner: BatchRunner = {
      available: () => manual.available(),
      idle: () => (manual.available() === 2 ? 1 : 0),
      onAvailable: (listener) => manual.onAvailable(listener),
      run: (x, rows, outputs) => manual.run(x as Float32Array, rows, outputs),
    };
    const batcher = new MicroBatcher(runner, options({ maxBatchRows: 4, maxQueueDelayMs: 0 }));
    const answers = [1, 1, 1, 2, 1].map((rows, i) => batcher.submit(rowsOf(rows, i), rows, ['mean']));
    // The first went to the idle worker; two 1-row requests waited; with the 2-row one the queue held a full batch.
    expect(manual.calls.map((c) => c.rows)).toEqual([1, 4]);
    expect(batcher.queuedRows).toBe(1);
    manual.finish(0);
    expect(manual.calls.map((c) => c.rows)).toEqual([1, 4]);
    manual.finish(1);
    expect(manual.calls.map((c) => c.rows)).toEqual([1, 4, 1]);
    manual.finish(2);
    const means = await Promise.all(answers);
    expect(means.map((m) => m.mean!.shape[0])).toEqual([1, 1, 1, 2, 1]);
  });

  it('asks the runner for the union of the outputs of a batch and answers each request only its own', async () => {
    const runner = new ManualRunner(0);
    const batcher = new MicroBatcher(runner, options());
    const a = batcher.submit(rowsOf(1, 1), 1, ['variance']);
    const b = batcher.submit(rowsOf(2, 2), 2, ['mean']);
    runner.setSlots(1);
    expect(runner.calls[0]!.outputs).toEqual(['mean', 'variance']);
    runner.finish(0);
    expect(Object.keys(await a)).toEqual(['variance']);
    expect(Object.keys(await b)).toEqual(['mean']);
  });

  it('refuses rows beyond maxQueueRows with a 503 and Retry-After, and takes them again once the queue drains', async () => {
    const runner = new ManualRunner(0);
    const rejected: string[] = [];
    const batcher = new MicroBatcher(runner, options({ maxQueueRows: 10 }), {
      batch() {},
      rejected: (r) => rejected.push(r),
    });
    const queued = [batcher.submit(rowsOf(6, 1), 6, ['mean']), batcher.submit(rowsOf(4, 2), 4, ['mean'])];
    const error = await batcher.submit(rowsOf(1, 3), 1, ['mean']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as HttpError).statusCode).toBe(503);
    expect((error as HttpError).headers['retry-after']).toBe('1');
    expect(rejected).toEqual(['queue_full']);
    expect(batcher.queuedRows).toBe(10);
    runner.setSlots(1);
    runner.finish(0);
    await Promise.all(queued);
    expect(batcher.queuedRows).toBe(0);
    const again = batcher.submit(rowsOf(1, 4), 1, ['mean']);
    runner.finish(1);
    expect((await again).mean!.shape).toEqual([1, 1]);
  });

  it('answers a request not encoded within timeoutMs with a 504 and takes it out of the queue', async () => {
    const runner = new ManualRunner(0);
    const batcher = new MicroBatcher(runner, options({ timeoutMs: 30 }));
    const error = await batcher.submit(rowsOf(3, 1), 3, ['mean']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as HttpError).statusCode).toBe(504);
    expect(batcher.queuedRows).toBe(0);
    runner.setSlots(1);
    expect(runner.calls).toHaveLength(0);
  });

  it('drops the queued rows of a client that went away', async () => {
    const runner = new ManualRunner(0);
    const batcher = new MicroBatcher(runner, options());
    const gone = new AbortController();
    const left = batcher.submit(rowsOf(5, 1), 5, ['mean'], gone.signal);
    const stays = batcher.submit(rowsOf(2, 2), 2, ['mean']);
    expect(batcher.queuedRows).toBe(7);
    gone.abort(new Error('client closed'));
    await expect(left).rejects.toThrow('client closed');
    expect(batcher.queuedRows).toBe(2);
    runner.setSlots(1);
    expect(runner.calls.map((c) => c.rows)).toEqual([2]);
    runner.finish(0);
    expect((await stays).mean!.shape).toEqual([2, 1]);
  });

  it('fails every request of a failed batch, once, and serves the next batch', async () => {
    const runner = new ManualRunner(1);
    const batcher = new MicroBatcher(runner, options({ maxQueueDelayMs: 5 }));
    const first = [batcher.submit(rowsOf(1, 1), 1, ['mean']), batcher.submit(rowsOf(2, 2), 2, ['mean'])];
    await new Promise((r) => setTimeout(r, 20));
    runner.calls[0]!.reject(new Error('worker died'));
    for (const p of first) await expect(p).rejects.toThrow('worker died');
    const next = batcher.submit(rowsOf(1, 3), 1, ['mean']);
    await new Promise((r) => setTimeout(r, 20));
    runner.finish(1);
    expect((await next).mean!.data[0]).toBeCloseTo(reference(rowsOf(1, 3), 1).mean!.data[0]!, 6);
    await batcher.drained();
  });
});
