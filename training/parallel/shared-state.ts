/**
 * The memory that the threads of a data-parallel learner share (SharedArrayBuffers, no tfjs): a
 * control block, the current minibatch, each shard's statistic sums and gradient, the master copy of
 * the parameters with Adam's moments, and a failure message. Thread 0 is the main thread.
 */
import type { StatisticSums } from '../objective/statistics-gradient.ts';

/** Words of the control block. */
export const Control = {
  /** the barrier's generation counter (waited on) */
  generation: 0,
  /** threads that have arrived at the current barrier */
  arrived: 1,
  /** what the threads do after the start barrier (Command) */
  command: 2,
  /** 1 once a thread has failed and written why (2 while it writes) */
  failed: 3,
  /** 1 once the learner is disposed */
  closed: 4,
  /** rows of the current minibatch */
  rows: 5,
  /** Adam's step count after the current step */
  step: 6,
} as const;

/**
 * After the start barrier: take a training step, or load the master parameters (the end of an
 * epoch, a restored state). Every command but `step` (whose own barriers
 * follow the read) ends with a second barrier, so the main thread never writes the next command
 * before every thread has read this one.
 */
export const Command = { step: 1, sync: 2 } as const;

/** Scalars of the current step (float64). */
export const Scalar = { gamma: 0, delta: 1 } as const;

export interface SharedLayout {
  threads: number;
  d: number;
  h: number;
  /** the largest minibatch */
  batch: number;
  /** element counts of the trainable variables, in the learner's order (encoder's, then W) */
  sizes: number[];
}

export interface SharedBuffers {
  control: SharedArrayBuffer;
  scalars: SharedArrayBuffer;
  batch: SharedArrayBuffer;
  sums: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  params: SharedArrayBuffer;
  m: SharedArrayBuffer;
  v: SharedArrayBuffer;
  message: SharedArrayBuffer;
}

const MESSAGE_BYTES = 4096;

export class SharedState {
  readonly control: Int32Array;
  readonly scalars: Float64Array;
  /** the minibatch rows [batch, D] */
  readonly batch: Float32Array;
  /** per thread: Σ scaledM [H], Σ squaredError, Σ logDet of its shard; [threads, H + 2] */
  readonly sums: Float64Array;
  /** per thread: its shard's gradient of the objective, flat [threads, P] */
  readonly grads: Float32Array;
  /** the master copy of the parameters, flat [P] */
  readonly params: Float32Array;
  /** Adam's first and second moments [P] */
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** start of every variable in the flat vectors, and P at the end */
  readonly offsets: number[];
  private readonly message: Uint8Array;

  private constructor(
    readonly buffers: SharedBuffers,
    readonly layout: SharedLayout,
  ) {
    this.control = new Int32Array(buffers.control);
    this.scalars = new Float64Array(buffers.scalars);
    this.batch = new Float32Array(buffers.batch);
    this.sums = new Float64Array(buffers.sums);
    this.grads = new Float32Array(buffers.grads);
    this.params = new Float32Array(buffers.params);
    this.m = new Float32Array(buffers.m);
    this.v = new Float32Array(buffers.v);
    this.message = new Uint8Array(buffers.message);
    this.offsets = [0];
    for (const size of layout.sizes) this.offsets.push(this.offsets[this.offsets.length - 1]! + size);
  }

  static create(layout: SharedLayout): SharedState {
    const total = layout.sizes.reduce((a, b) => a + b, 0);
    const bytes = (n: number, per: number) => new SharedArrayBuffer(n * per);
    return new SharedState(
      {
        control: bytes(8, 4),
        scalars: bytes(2, 8),
        batch: bytes(layout.batch * layout.d, 4),
        sums: bytes(layout.threads * (layout.h + 2), 8),
        grads: bytes(layout.threads * total, 4),
        params: bytes(total, 4),
        m: bytes(total, 4),
        v: bytes(total, 4),
        message: bytes(MESSAGE_BYTES, 1),
      },
      layout,
    );
  }

  /** The same memory, seen from another thread. */
  static attach(buffers: SharedBuffers, layout: SharedLayout): SharedState {
    return new SharedState(buffers, layout);
  }

  get parameterCount(): number {
    return this.offsets[this.offsets.length - 1]!;
  }

  /** Rows [lo, hi) of a minibatch of `rows` that thread k handles. */
  shard(k: number, rows: number): [number, number] {
    const t = this.layout.threads;
    return [Math.floor((k * rows) / t), Math.floor(((k + 1) * rows) / t)];
  }

  /** Elements [lo, hi) of the flat parameters whose Adam update thread k computes. */
  parameterRange(k: number): [number, number] {
    const t = this.layout.threads;
    const p = this.parameterCount;
    return [Math.floor((k * p) / t), Math.floor(((k + 1) * p) / t)];
  }

  /** Thread k's gradient, flat [P]. */
  gradient(k: number): Float32Array {
    const p = this.parameterCount;
    return this.grads.subarray(k * p, (k + 1) * p);
  }

  writeSums(k: number, scaledM: ArrayLike<number>, squaredError: number, logDet: number): void {
    const width = this.layout.h + 2;
    const row = this.sums.subarray(k * width, (k + 1) * width);
    row.set(scaledM);
    row[this.layout.h] = squaredError;
    row[this.layout.h + 1] = logDet;
  }

  /** S = Σ_k S_k, always summed in thread order so that every thread gets the same float64 value. */
  totalSums(): StatisticSums {
    const { h, threads } = this.layout;
    const width = h + 2;
    const total = new Float64Array(width);
    for (let k = 0; k < threads; k++) for (let i = 0; i < width; i++) total[i]! += this.sums[k * width + i]!;
    return { scaledM: total.subarray(0, h), squaredError: total[h]!, logDet: total[h + 1]! };
  }

  /** Marks the learner as failed (first message wins) and wakes every waiting thread. */
  fail(message: string): void {
    if (Atomics.compareExchange(this.control, Control.failed, 0, 2) === 0) {
      const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_BYTES - 4);
      new DataView(this.buffers.message).setUint32(0, bytes.length);
      this.message.set(bytes, 4);
      Atomics.store(this.control, Control.failed, 1);
    }
    Atomics.notify(this.control, Control.generation);
  }

  failure(): string | null {
    if (Atomics.load(this.control, Control.failed) !== 1) return null;
    const length = new DataView(this.buffers.message).getUint32(0);
    return new TextDecoder().decode(this.message.slice(4, 4 + length));
  }

  close(): void {
    Atomics.store(this.control, Control.closed, 1);
    Atomics.notify(this.control, Control.generation);
  }

  get closed(): boolean {
    return Atomics.load(this.control, Control.closed) === 1;
  }
}
