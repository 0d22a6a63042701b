/**
 * The encoder's posteriors of a batch as one flat array, so that a worker thread can hand them to
 * the main thread through shared memory: ν [B, H], then τ [B, H] (diag) or d [B, H] and V [B, H, r]
 * (low-rank), each block row-major.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { EncoderConfig } from '../encoder/encoder.ts';
import type { Posterior } from '../objective/posterior.ts';
import { copiedTensor } from '../tensor/copied-tensor.ts';
import { readInto } from '../tensor/read-into.ts';

/** Floats per point. */
export function posteriorWidth(config: EncoderConfig): number {
  return config.h * (config.family === 'lowrank' ? 2 + config.rank : 2);
}

/** Writes the posteriors of B points into `out` [≥ B · posteriorWidth]. */
export function writePosteriorRows(q: Posterior, out: Float32Array): void {
  const blocks = q.family === 'diag' ? [q.mean, q.std] : q.family === 'lowrank' ? [q.mean, q.diagStd, q.factor] : [];
  if (blocks.length === 0) throw new Error('writePosteriorRows: the encoder has no full-covariance family');
  let offset = 0;
  for (const block of blocks) {
    readInto(block, out, offset);
    offset += block.size;
  }
}

/** The posteriors of `rows` points from `values` (which may change afterwards). */
export function readPosteriorRows(values: Float32Array, rows: number, config: EncoderConfig): Posterior {
  const { h, rank } = config;
  const block = (start: number, size: number) => values.subarray(start, start + size);
  const mean = copiedTensor<tf.Rank.R2>(block(0, rows * h), [rows, h]);
  const std = copiedTensor<tf.Rank.R2>(block(rows * h, rows * h), [rows, h]);
  if (config.family === 'diag') return { family: 'diag', mean, std };
  return { family: 'lowrank', mean, diagStd: std, factor: copiedTensor<tf.Rank.R3>(block(2 * rows * h, rows * h * rank), [rows, h, rank]) };
}
