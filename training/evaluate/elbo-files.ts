/**
 * `entropy-sc elbo`: the entropy ELBO of posteriors given as .npy files, streamed in chunks of rows
 * so that files of millions of points are never held whole. Inputs are validated here, at the
 * boundary: shapes against each other, values finite, standard deviations positive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { ensure } from '@entropy-sc/core/errors';
import { readNpy, readNpyHeader, readNpyRows } from '@entropy-sc/core/npy/read';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior } from '../objective/posterior.ts';

export type PosteriorFiles =
  | { family: 'diag'; mean: string; std: string }
  | { family: 'lowrank'; mean: string; factor: string; diagStd: string }
  | { family: 'full'; mean: string; chol: string };

export interface ElboFiles {
  data: string;
  weights: string;
  posterior: PosteriorFiles;
}

const shapeText = (shape: number[]) => `[${shape.join(', ')}]`;

/** Row-wise files and the shape each must have, given N, H (and r for the factor). */
function perPointFiles(p: PosteriorFiles): Array<{ path: string; role: string; positive?: boolean; rank: 2 | 3 }> {
  switch (p.family) {
    case 'diag':
      return [
        { path: p.mean, role: 'means', rank: 2 },
        { path: p.std, role: 'standard deviations', rank: 2, positive: true },
      ];
    case 'lowrank':
      return [
        { path: p.mean, role: 'means', rank: 2 },
        { path: p.factor, role: 'low-rank factors', rank: 3 },
        { path: p.diagStd, role: 'diagonal standard deviations', rank: 2, positive: true },
      ];
    case 'full':
      return [
        { path: p.mean, role: 'means', rank: 2 },
        { path: p.chol, role: 'Cholesky factors', rank: 3 },
      ];
  }
}

export async function elboFromFiles(files: ElboFiles, gamma = 1, delta = 1, chunkRows = 4096): Promise<ElboReport> {
  const xHeader = await readNpyHeader(files.data);
  ensure(xHeader.shape.length === 2, `${files.data}: data must be [N, D], got shape ${shapeText(xHeader.shape)}`);
  const [n, d] = xHeader.shape as [number, number];
  ensure(n > 0, `${files.data}: no data points (shape ${shapeText(xHeader.shape)})`);
  const w = await readNpy(files.weights);
  ensure(w.shape.length === 2, `${files.weights}: weights must be [D, H], got shape ${shapeText(w.shape)}`);
  const [wd, h] = w.shape as [number, number];
  ensure(wd === d, `weights ${files.weights} has D=${wd} rows but data ${files.data} has D=${d} columns`);
  checkFinite(files.weights, w.data, w.shape);
  for (let k = 0; k < h; k++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w.data[i * h + k]! ** 2;
    ensure(norm > 0, `${files.weights}: column ${k} is all zeros and cannot be normalised`);
  }

  const pointFiles = perPointFiles(files.posterior);
  let rank = 0;
  for (const f of pointFiles) {
    const { shape } = await readNpyHeader(f.path);
    ensure(shape.length === f.rank, `${f.path}: ${f.role} must have ${f.rank} dimensions, got shape ${shapeText(shape)}`);
    ensure(shape[0] === n, `${f.role} ${f.path} has N=${shape[0]} rows but data ${files.data} has N=${n}`);
    ensure(shape[1] === h, `${f.role} ${f.path} has H=${shape[1]} but weights ${files.weights} has H=${h} columns`);
    if (f.rank === 3) {
      if (files.posterior.family === 'full')
        ensure(shape[2] === h, `${f.role} ${f.path} must be [N, H, H] = [${n}, ${h}, ${h}], got ${shapeText(shape)}`);
      else rank = shape[2]!;
    }
  }
  ensure(files.posterior.family !== 'lowrank' || rank > 0, `${pointFiles[1]!.path}: the low-rank factor has rank 0`);

  const accumulator = new ElboAccumulator(d, h);
  const wTensor = tf.tensor2d(w.data instanceof Float32Array ? w.data : Float32Array.from(w.data), [d, h]);
  const wn = tf.tidy(() => normalizeColumns(wTensor));
  wTensor.dispose();
  const streams = [files.data, ...pointFiles.map((f) => f.path)].map((path) => readNpyRows(path, { chunkRows })[Symbol.asyncIterator]());
  try {
    for (;;) {
      const chunks = await Promise.all(streams.map((s) => s.next()));
      if (chunks.every((c) => c.done)) break;
      const [xChunk, ...pointChunks] = chunks.map((c) => {
        if (c.done) throw new Error('elboFromFiles: streams ended unevenly');
        return c.value;
      });
      const start = xChunk!.start;
      const rows = xChunk!.rows;
      checkFinite(files.data, xChunk!.data, [n, d], start);
      pointChunks.forEach((chunk, i) => {
        const f = pointFiles[i]!;
        const shape = f.rank === 2 ? [n, h] : [n, h, files.posterior.family === 'full' ? h : rank];
        checkFinite(f.path, chunk.data, shape, start);
        if (f.positive) checkPositive(f.path, chunk.data, h, start);
      });
      if (files.posterior.family === 'full') checkCholeskyDiagonal(files.posterior.chol, pointChunks[1]!.data, h, start);
      tf.tidy(() => {
        const x = tf.tensor2d(toFloat32(xChunk!.data), [rows, d]);
        const q = toPosterior(files.posterior.family, pointChunks.map((c) => toFloat32(c.data)), rows, h, rank);
        const s = pointStatistics(x, wn, q);
        accumulator.add(s.scaledM.dataSync(), s.squaredError.dataSync(), s.logDet.dataSync());
      });
    }
  } finally {
    wn.dispose();
    // Streams left open by an error would close their files only on garbage collection, with a warning.
    await Promise.all(streams.map((s) => s.return?.(undefined)));
  }
  return accumulator.report(gamma, delta);
}

function toPosterior(family: PosteriorFiles['family'], arrays: Float32Array[], rows: number, h: number, rank: number): Posterior {
  const mean = tf.tensor2d(arrays[0]!, [rows, h]);
  switch (family) {
    case 'diag':
      return { family, mean, std: tf.tensor2d(arrays[1]!, [rows, h]) };
    case 'lowrank':
      return { family, mean, factor: tf.tensor3d(arrays[1]!, [rows, h, rank]), diagStd: tf.tensor2d(arrays[2]!, [rows, h]) };
    case 'full':
      return { family, mean, chol: tf.tensor3d(arrays[1]!, [rows, h, h]) };
  }
}

function toFloat32(data: Float32Array | Float64Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** Index of element `flat` of a chunk starting at row `start`, as "[n, i, j]". */
function position(flat: number, shape: number[], start: number): string {
  const index: number[] = [];
  let rest = flat;
  for (let k = shape.length - 1; k >= 1; k--) {
    index.unshift(rest % shape[k]!);
    rest = Math.floor(rest / shape[k]!);
  }
  return `[${[rest + start, ...index].join(', ')}]`;
}

function checkFinite(path: string, data: Float32Array | Float64Array, shape: number[], start = 0): void {
  const bad = data.findIndex((v) => !Number.isFinite(v));
  ensure(bad < 0, () => `${path}: non-finite value ${data[bad]} at ${position(bad, shape, start)}`);
}

function checkPositive(path: string, data: Float32Array | Float64Array, h: number, start: number): void {
  const bad = data.findIndex((v) => !(v > 0));
  ensure(bad < 0, () => `${path}: standard deviations must be > 0, got ${data[bad]} at ${position(bad, [Infinity, h], start)}`);
}

function checkCholeskyDiagonal(path: string, data: Float32Array | Float64Array, h: number, start: number): void {
  for (let block = 0; block < data.length; block += h * h)
    for (let i = 0; i < h; i++) {
      const flat = block + i * (h + 1);
      ensure(data[flat] !== 0, () => `${path}: Cholesky factor has a zero diagonal entry at ${position(flat, [Infinity, h, h], start)}, so T is singular`);
    }
}
