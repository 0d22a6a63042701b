/**
 * `entropy-sc gap` (cli.md): the amortization gap of one run (`--run`), of a deployed model
 * (`--model M.onnx`) or of several of either side by side (`--compare`, same data, same points): data from a SPEC (a .npy file streams in chunks; generated
 * bars or patches are made once, by default with the first run's seed, i.e. its training data),
 * a markdown table, and the per-point gap distributions as a chart.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadDataSet } from '@entropy-sc/core/data/data-set';
import { UserError } from '@entropy-sc/core/errors';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { boxStats } from '@entropy-sc/core/metrics/quantile';
import { shapeText } from '@entropy-sc/core/ndarray';
import { readNpyHeader, readNpyRows } from '@entropy-sc/core/npy/read';
import { portableDataSpec, specText, type DataSpec } from '@entropy-sc/core/schema/data-spec';
import { checkFinite, checkRows } from '@entropy-sc/core/validate/arrays';
import { gapDistributionSpec } from '@entropy-sc/plot/gap-distribution';
import { chartPng } from '@entropy-sc/plot/render';
import { amortizationGap, type GapReport, type GapResult } from './amortization-gap.ts';
import { RefinePool } from './refine-pool.ts';
import { readModelFile } from '@entropy-sc/inference/card';
import type { GapRecord, ModelCard } from '@entropy-sc/core/schema/model-card';
import { runPaths } from '../run/run-files.ts';
import { loadDeployedModel } from '../artifacts/onnx-model.ts';
import type { PosteriorArrays } from '../objective/posterior-arrays.ts';
import type { FrozenModel } from '../artifacts/frozen-model.ts';
import { loadRunModel, readRunCard } from '../artifacts/run-model.ts';

/** Points per chunk of data in memory. */
const CHUNK_ROWS = 1024;

export interface GapOptions {
  /** run directories or .onnx model files: one (`--run`, `--model`) or several (`--compare`) */
  runs: string[];
  data: DataSpec;
  /** points to evaluate: generated ones (bars, patches), or the first rows of a .npy file (default all) */
  samples?: number;
  /** seed of generated data (default: the first run's) */
  seed?: number;
  /** also refine in the full-covariance family */
  full?: boolean;
  /** refinement threads (default: all cores) */
  workers?: number;
  /** folder for report.json, gaps.md and gaps.png */
  out?: string;
  /** L-BFGS iterations per refinement batch */
  maxIterations?: number;
}

export interface RunGap extends GapResult {
  /** the run's label (its folder's name) */
  name: string;
  dir: string;
}

type Chunks = (d: number) => AsyncIterable<{ x: Float32Array; rows: number }>;

/** The data as chunks of rows, checked against the model's D. */
async function dataChunks(
  spec: DataSpec,
  samples: number | undefined,
  seed: number,
): Promise<{ chunks: Chunks; n: number }> {
  if (spec.kind === 'npy') {
    const header = await readNpyHeader(spec.file);
    const [rows, d] = checkRows(header.shape, spec.file);
    const n = Math.min(rows, samples ?? rows);
    return {
      n,
      chunks: async function* (modelD: number) {
        if (d !== modelD)
          throw new UserError(
            `${spec.file} has D=${d} columns (shape ${shapeText(header.shape)}) but the model has D=${modelD}`,
          );
        for await (const chunk of readNpyRows(spec.file, { chunkRows: CHUNK_ROWS })) {
          const count = Math.min(chunk.rows, n - chunk.start);
          if (count <= 0) return;
          const x = Float32Array.from(chunk.data.subarray(0, count * d));
          checkFinite(x, spec.file, [count, d], chunk.start);
          yield { x, rows: count };
        }
      },
    };
  }
  const data = await loadDataSet(samples ? { ...spec, samples } : spec, seed);
  return {
    n: data.n,
    chunks: async function* (modelD: number) {
      if (data.d !== modelD)
        throw new UserError(`--data ${specText(spec)} has D=${data.d} but the model has D=${modelD}`);
      for (let start = 0; start < data.n; start += CHUNK_ROWS) {
        const rows = Math.min(CHUNK_ROWS, data.n - start);
        yield { x: data.x.subarray(start * data.d, (start + rows) * data.d), rows };
      }
    },
  };
}

/** What the gap needs of a run or a deployed model. */
interface Subject {
  card: ModelCard;
  model: FrozenModel;
  encode: (x: Float32Array, rows: number) => PosteriorArrays | Promise<PosteriorArrays>;
  dispose: () => void | Promise<void>;
}

/** A run directory, or an .onnx file (its card alone when `cardOnly`). */
async function openSubject(path: string, cardOnly = false): Promise<Subject> {
  if (path.endsWith('.onnx')) {
    if (cardOnly) return { card: (await readModelFile(path)).card } as Subject;
    return loadDeployedModel(path);
  }
  if (cardOnly) return { card: await readRunCard(path) } as Subject;
  return loadRunModel(path);
}

/** The gap of each run (or model) on the same data. */
export async function runGaps(options: GapOptions): Promise<RunGap[]> {
  if (options.runs.length === 0) throw new UserError('gap: give --run DIR or --compare DIR1 DIR2 ...');
  const seed = options.seed ?? (await openSubject(options.runs[0]!, true)).card.seed;
  const { chunks, n } = await dataChunks(options.data, options.samples, seed);
  const results: RunGap[] = [];
  for (const dir of options.runs) {
    const run = await openSubject(dir);
    const pool = await RefinePool.create(run.model, options.workers ?? availableParallelism());
    try {
      const name = basename(resolve(dir)).replace(/\.onnx$/, '');
      const result = await amortizationGap({
        chunks: chunks(run.card.d),
        encode: run.encode,
        d: run.card.d,
        h: run.card.h,
        pool,
        full: options.full,
        n,
        label: name,
        options: options.maxIterations ? { maxIterations: options.maxIterations } : undefined,
      });
      results.push({ ...result, name, dir });
      const measured =
        options.samples && options.data.kind !== 'npy' ? { ...options.data, samples: options.samples } : options.data;
      if (!dir.endsWith('.onnx'))
        await writeFileAtomic(
          runPaths(dir).gap,
          JSON.stringify(gapRecord(result.report, measured, run.card), null, 2) + '\n',
        );
    } finally {
      await pool.close();
      await run.dispose();
    }
  }
  if (options.out) await writeGapFiles(options.out, results);
  return results;
}

/** What a run folder keeps of its gap (gap.json), for `export` to put into the card. */
function gapRecord(report: GapReport, data: DataSpec, card: ModelCard): GapRecord {
  const { amortized_elbo, refined_elbo, gap, per_point, family, n } = report;
  return {
    amortized_elbo,
    refined_elbo,
    gap,
    per_point,
    family,
    points: n,
    data: portableDataSpec(data),
    epoch: Number(card.metrics['epoch']),
  };
}

/** cli.md's object for one run (the contract's keys first). */
export function gapJson(report: GapReport): Record<string, unknown> {
  const { amortized_elbo, refined_elbo, gap, per_point, family, ...rest } = report;
  return { amortized_elbo, refined_elbo, gap, per_point, family, ...rest };
}

/** The runs side by side as a markdown table (nats per point). */
export function gapTable(runs: readonly RunGap[]): string {
  const full = runs.some((r) => r.report.full);
  const head = [
    'run',
    'family',
    'points',
    'amortized ELBO',
    'refined ELBO',
    'gap',
    'median',
    'p95',
    ...(full ? ['full refined', 'full gap'] : []),
    'refine s',
  ];
  const f = (x: number) => x.toFixed(4);
  const lines = runs.map(({ name, report: r }) => [
    name,
    r.family,
    String(r.n),
    f(r.amortized_elbo),
    f(r.refined_elbo),
    f(r.gap),
    f(r.per_point.median),
    f(r.per_point.p95),
    ...(full ? [r.full ? f(r.full.refined_elbo) : '', r.full ? f(r.full.gap) : ''] : []),
    r.refinement.seconds.toFixed(1),
  ]);
  const align = head.map((_, k) => (k < 2 ? '---' : '---:'));
  return [head, align, ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n') + '\n';
}

/** report.json, gaps.md and gaps.png (per-point gap distributions) in `out`. */
export async function writeGapFiles(out: string, runs: readonly RunGap[]): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeFileAtomic(
    join(out, 'report.json'),
    JSON.stringify(
      runs.map((r) => ({ run: r.name, ...gapJson(r.report) })),
      null,
      2,
    ) + '\n',
  );
  await writeFileAtomic(join(out, 'gaps.md'), gapTable(runs));
  const samples = runs.flatMap((r) => {
    const own = { name: `${r.name} (${r.report.family})`, gaps: r.gaps, stats: boxStats(r.gaps) };
    return r.fullGaps ? [own, { name: `${r.name} (full)`, gaps: r.fullGaps, stats: boxStats(r.fullGaps) }] : [own];
  });
  await writeFileAtomic(join(out, 'gaps.png'), await chartPng(gapDistributionSpec(samples)));
}
