/**
 * `entropy-sc elbo`: the entropy ELBO of posteriors given as .npy files, streamed in chunks of rows
 * so that files of millions of points are never held whole. Inputs are validated here, at the
 * boundary: shapes against each other, values finite, standard deviations positive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkFiniteReport, ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { ensure } from '@entropy-sc/core/errors';
import { shapeText } from '@entropy-sc/core/ndarray';
import { readNpy, readNpyHeader, readNpyRows } from '@entropy-sc/core/npy/read';
import { checkDictionary, checkRows, checkFinite, checkPositive, positionText } from '@entropy-sc/core/validate/arrays';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior } from '../objective/posterior.ts';
import { readStatistics } from '../objective/accumulate.ts';
import { checkStatisticsFinite, zeroUpperTriangles, type RowInput } from './statistics-range.ts';

export type PosteriorFiles =
  | { family: 'diag'; mean: string; std: string }
  | { family: 'lowrank'; mean: string; factor: string; diagStd: string }
  | { family: 'full'; mean: string; chol: string };

export interface ElboFiles {
  data: string;
  weights: string;
  posterior: PosteriorFiles;
}

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
  const [n, d] = checkRows(xHeader.shape, files.data);
  const w = await readNpy(files.weights);
  const [, h] = checkDictionary(w.data, w.shape, files.weights, { name: files.data, d });

  const pointFiles = perPointFiles(files.posterior);
  let rank = 0;
  for (const f of pointFiles) {
    const { shape } = await readNpyHeader(f.path);
    ensure(
      shape.length === f.rank,
      `${f.path}: ${f.role} must have ${f.rank} dimensions, got shape ${shapeText(shape)}`,
    );
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
  const streams = [files.data, ...pointFiles.map((f) => f.path)].map((path) =>
    readNpyRows(path, { chunkRows })[Symbol.asyncIterator](),
  );
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
      if (files.posterior.family === 'full') zeroUpperTriangles(pointChunks[1]!.data, h);
      const inputs: RowInput[] = [{ path: files.data, data: xChunk!.data, shape: [n, d] }];
      checkFinite(xChunk!.data, files.data, [n, d], start);
      pointChunks.forEach((chunk, i) => {
        const f = pointFiles[i]!;
        const shape = f.rank === 2 ? [n, h] : [n, h, files.posterior.family === 'full' ? h : rank];
        checkFinite(chunk.data, f.path, shape, start);
        if (f.positive) checkPositive(chunk.data, f.path, [n, h], 'standard deviations', start);
        inputs.push({ path: f.path, data: chunk.data, shape });
      });
      if (files.posterior.family === 'full')
        checkCholeskyDiagonal(files.posterior.chol, pointChunks[1]!.data, h, start);
      tf.tidy(() => {
        const x = tf.tensor2d(toFloat32(xChunk!.data), [rows, d]);
        const q = toPosterior(
          files.posterior.family,
          pointChunks.map((c) => toFloat32(c.data)),
          rows,
          h,
          rank,
        );
        const s = pointStatistics(x, wn, q);
        const read = readStatistics(s);
        checkStatisticsFinite(read, inputs, start);
        accumulator.add(read);
      });
    }
  } finally {
    wn.dispose();
    // Streams left open by an error would close their files only on garbage collection, with a warning.
    await Promise.all(streams.map((s) => s.return?.(undefined)));
  }
  return checkFiniteReport(accumulator.report(gamma, delta), `the ELBO of ${files.data}`);
}

function toPosterior(
  family: PosteriorFiles['family'],
  arrays: Float32Array[],
  rows: number,
  h: number,
  rank: number,
): Posterior {
  const mean = tf.tensor2d(arrays[0]!, [rows, h]);
  switch (family) {
    case 'diag':
      return { family, mean, std: tf.tensor2d(arrays[1]!, [rows, h]) };
    case 'lowrank':
      return {
        family,
        mean,
        factor: tf.tensor3d(arrays[1]!, [rows, h, rank]),
        diagStd: tf.tensor2d(arrays[2]!, [rows, h]),
      };
    case 'full':
      return { family, mean, chol: tf.tensor3d(arrays[1]!, [rows, h, h]) };
  }
}

function toFloat32(data: Float32Array | Float64Array): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function checkCholeskyDiagonal(path: string, data: Float32Array | Float64Array, h: number, start: number): void {
  for (let block = 0; block < data.length; block += h * h)
    for (let i = 0; i < h; i++) {
      const flat = block + i * (h + 1);
      ensure(
        data[flat] !== 0,
        () =>
          `${path}: Cholesky factor has a zero diagonal entry at ${positionText(flat, [Infinity, h, h], start)}, so T is singular`,
      );
    }
}
