/**
 * The encoder's posteriors of the whole-data evaluation's batches, computed on every thread of a
 * data-parallel learner. The evaluation asks for batches in order; when it asks for one that no
 * worker holds, the next (threads − 1) · encodeBatches batches of the same size go to the worker
 * threads and the main thread encodes the asked one meanwhile; the following requests are served
 * from the workers' output. Every batch is encoded whole, by the same kernels, so the posteriors are those of a
 * single-threaded evaluation, bit for bit.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { EncoderConfig } from '../encoder/encoder.ts';
import type { Posterior } from '../objective/posterior.ts';
import type { Barrier } from './barrier.ts';
import { readPosteriorRows } from './posterior-rows.ts';
import { Command, Control, type SharedState } from './shared-state.ts';

export class ParallelPosteriors {
  /** rows [start, end) of each slot (SharedState.encodeSlot) the workers encoded in the current round */
  private pending: Array<[number, number]> = [];
  /** whether the current round's closing barrier is still ahead */
  private open = false;

  /**
   * @param x the rows [N, D] the evaluation reads
   * @param encode the main thread's encoder
   */
  constructor(
    private readonly shared: SharedState,
    private readonly barrier: Barrier,
    private readonly x: Float32Array,
    private readonly n: number,
    private readonly config: EncoderConfig,
    private readonly encode: (x: tf.Tensor2D) => Posterior,
  ) {}

  /** Posteriors of rows [start, end) (`x` holds them), as the evaluation's `posterior` callback. */
  posterior(x: tf.Tensor2D, start: number, end: number): Posterior {
    this.close();
    const slot = this.pending.findIndex(([s, e]) => s === start && e === end);
    if (slot >= 0) return readPosteriorRows(this.shared.encodeOutputOf(slot), end - start, this.config);
    this.startRound(end, end - start);
    return this.encode(x);
  }

  /** Waits for the workers' last round; call once the evaluation has ended (or failed). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.barrier.wait();
  }

  private startRound(from: number, rows: number): void {
    const { layout, control, encodeCounts } = this.shared;
    this.pending = [];
    if (layout.threads === 1 || rows > layout.encodeRows || from >= this.n) return;
    const d = layout.d;
    for (let slot = 0; slot < encodeCounts.length; slot++) {
      const start = Math.min(this.n, from + slot * rows);
      const end = Math.min(this.n, start + rows);
      this.shared.encodeInputOf(slot).set(this.x.subarray(start * d, end * d));
      encodeCounts[slot] = end - start;
      this.pending.push([start, end]);
    }
    control[Control.command] = Command.encode;
    this.barrier.wait();
    this.open = true;
  }
}
