/**
 * Scoring a fixed dictionary (`entropy-sc evaluate`, cli.md): fit non-amortized posteriors for it by
 * L-BFGS, with λ and σ² at their optimum, and report the whole-data entropy ELBO (Eq. 15) and the
 * Gini sparsity of posterior samples. The ground-truth score of bars runs is the same computation.
 *
 * Small data (N · parameters per point ≤ JOINT_LIMIT) is one E-step over all points maximising
 * L_{1,1}, whose λ^opt and σ²_opt are whole-data averages. Larger data is fitted in chunks: a first
 * pass maximises each chunk's own L_{1,1}; then passes alternate Θ = (λ, σ²) at the whole-data optimum
 * of the current posteriors with per-chunk maximisation of mean ℓ_n at that frozen Θ. Both steps
 * increase mean ℓ_n(q, Θ), whose maximum over Θ is L_{1,1}(q) (Theorem 2), so the passes climb
 * towards the same optimum as the one-shot fit.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadDataSet } from '@entropy-sc/core/data/data-set';
import { specText, type DataSpec } from '@entropy-sc/core/schema/data-spec';
import { checkDictionary, checkDictionaryWidth } from '@entropy-sc/core/validate/arrays';
import { checkFiniteReport, ElboAccumulator } from '@entropy-sc/core/elbo/elbo-accumulator';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';
import { readNpy } from '@entropy-sc/core/npy/read';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { PosteriorFamily } from '../objective/posterior.ts';
import { JOINT_LIMIT, spreadDefaults } from './defaults.ts';
import { ELBO_OBJECTIVE, fitPosteriors, type PointsObjective } from './e-step.ts';
import { ridgeCodes } from './initial-means.ts';
import { PointStore } from './point-store.ts';
import {
  parameterTensors,
  pointSizes,
  PosteriorVariables,
  toPosterior,
  type PointLayout,
} from './posterior-variables.ts';
import { evaluateDataSet, type DataSetReport } from '../evaluate/evaluate-data-set.ts';
import { accumulate } from '../objective/accumulate.ts';
import { checkSquaredNorms } from '../evaluate/statistics-range.ts';

export interface DictionaryInput {
  /** data [N, D] row-major */
  x: Float32Array;
  n: number;
  d: number;
  /** dictionary W [D, H] row-major (columns normalised here) */
  w: Float32Array;
  h: number;
  family: PosteriorFamily;
  /** rank of the low-rank family */
  rank?: number;
  /** seed of the Gini samples */
  seed: number;
  /** L-BFGS iterations per E-step (default 1000 one-shot, 200 per chunk) */
  maxIterations?: number;
  /** passes over the chunks after the first (default 5; unused when one-shot) */
  passes?: number;
  /** parameter values per L-BFGS problem (default JOINT_LIMIT) */
  jointLimit?: number;
}

export interface DictionaryFit {
  report: DataSetReport;
  layout: PointLayout;
  /** the fitted posterior parameters of all points */
  store: PointStore;
  /** L-BFGS iterations in all */
  iterations: number;
}

/** Posterior parameters of rows [start, end) of a store, as the caller's tensors. */
function storedPosterior(store: PointStore, start: number, end: number) {
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  return toPosterior(store.layout, parameterTensors(store.layout, store.gather(rows), rows.length));
}

/** Θ = (λ, σ²) at the whole-data optimum of the stored posteriors (Theorem 2). */
function optimalTheta(x: Float32Array, n: number, d: number, wn: tf.Tensor2D, store: PointStore, chunk: number) {
  const accumulator = new ElboAccumulator(d, wn.shape[1]);
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    tf.tidy(() => {
      const s = pointStatistics(
        tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]),
        wn,
        storedPosterior(store, start, end),
      );
      accumulate(accumulator, s);
    });
  }
  const report = accumulator.report();
  return { report, theta: { lambda: report.lambda, sigma2: report.sigma2 } };
}

export function evaluateDictionary(input: DictionaryInput): DictionaryFit {
  const { x, n, d, h, family } = input;
  const { initialStd, spreadScale } = spreadDefaults(x);
  const layout: PointLayout = { family, h, rank: input.rank ?? 5, spreadScale };
  // chunks of at most jointLimit parameter values, of about equal sizes
  const jointLimit = input.jointLimit ?? JOINT_LIMIT;
  const perPoint = pointSizes(layout).reduce((a, b) => a + b, 0);
  const oneShot = n * perPoint <= jointLimit;
  const chunk = oneShot ? n : Math.ceil(n / Math.ceil((n * perPoint) / jointLimit));
  const maxIterations = input.maxIterations ?? (oneShot ? 1000 : 200);
  const store = new PointStore(layout, n);
  const wn = tf.tidy(() => normalizeColumns(tf.tensor2d(input.w, [d, h])));
  let iterations = 0;
  const pass = (objective: PointsObjective) => {
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      const rows = Array.from({ length: end - start }, (_, i) => start + i);
      const xb = tf.tensor2d(x.subarray(start * d, end * d), [end - start, d]);
      const q = new PosteriorVariables(
        layout,
        rows.length,
        store.gatherOrInitialise(rows, () => ridgeCodes(xb, wn), initialStd),
      );
      iterations += fitPosteriors(xb, wn, q, objective, { maxIterations }).iterations;
      store.scatter(rows, q.read());
      q.dispose();
      xb.dispose();
    }
  };
  try {
    pass(ELBO_OBJECTIVE);
    if (!oneShot) {
      let previous = -Infinity;
      for (let p = 0; p < (input.passes ?? 5); p++) {
        const { report, theta } = optimalTheta(x, n, d, wn, store, chunk);
        if (report.elbo - previous < 1e-4) break;
        previous = report.elbo;
        const lambda = tf.tensor1d(theta.lambda);
        pass({ kind: 'frozen', theta: { lambda, sigma2: theta.sigma2 } });
        lambda.dispose();
      }
    }
    const wTensor = tf.tensor2d(input.w, [d, h]);
    const report = evaluateDataSet({
      x,
      n,
      d,
      w: wTensor,
      seed: input.seed,
      posterior: (_xb, start, end) => storedPosterior(store, start, end),
    });
    wTensor.dispose();
    return { report, layout, store, iterations };
  } finally {
    wn.dispose();
  }
}

/** The fitted posteriors as arrays for files: means [N, H] and std [N, H] (diag), chol [N, H, H] (full), or factor [N, H, r] and diagStd [N, H]. */
export function fittedArrays(
  fit: DictionaryFit,
  batch = 4096,
): Record<string, { data: Float32Array; shape: number[] }> {
  const { n } = fit.store;
  const { h, rank, family } = fit.layout;
  const shapes: Record<string, number[]> =
    family === 'diag'
      ? { mean: [n, h], std: [n, h] }
      : family === 'full'
        ? { mean: [n, h], chol: [n, h, h] }
        : { mean: [n, h], factor: [n, h, rank], diag_std: [n, h] };
  const out = Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [
      name,
      { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape },
    ]),
  );
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    tf.tidy(() => {
      const q = storedPosterior(fit.store, start, end);
      const put = (name: string, t: tf.Tensor) =>
        out[name]!.data.set(t.dataSync(), (start * out[name]!.data.length) / n);
      put('mean', q.mean);
      if (q.family === 'diag') put('std', q.std);
      else if (q.family === 'full') put('chol', q.chol);
      else {
        put('factor', q.factor);
        put('diag_std', q.diagStd);
      }
    });
  }
  return out;
}

/** What `entropy-sc evaluate` prints (cli.md). */
export interface EvaluateReport {
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
  sigma2: number;
  gini_mean: number;
  gini_sd: number;
}

export interface EvaluateFiles {
  /** dictionary W [D, H] (.npy) */
  weights: string;
  /** the data (as for train) */
  data: DataSpec;
  family: 'diag' | 'full';
  seed: number;
  /** folder for the fitted posteriors and the full report */
  out?: string;
  maxIterations?: number;
}

/**
 * Reads and checks the dictionary and the data (shapes against each other, values finite, no zero
 * column), fits posteriors for the dictionary, and writes them to `out` if given.
 */
export async function evaluateDictionaryFiles(files: EvaluateFiles): Promise<EvaluateReport> {
  const w = await readNpy(files.weights);
  const [wd, h] = checkDictionary(w.data, w.shape, files.weights);
  const data = await loadDataSet(files.data, files.seed);
  checkDictionaryWidth(wd, files.weights, { name: specText(files.data), d: data.d });
  checkSquaredNorms(data.x, data.n, data.d, specText(files.data));

  const fit = evaluateDictionary({
    x: data.x,
    n: data.n,
    d: data.d,
    w: w.data instanceof Float32Array ? w.data : Float32Array.from(w.data),
    h,
    family: files.family,
    seed: files.seed,
    maxIterations: files.maxIterations,
  });
  const report = checkFiniteReport(fit.report, `the ELBO of ${files.weights} on ${specText(files.data)}`);
  const printed: EvaluateReport = {
    elbo: report.elbo,
    entropy_q: report.entropy_q,
    entropy_prior: report.entropy_prior,
    entropy_likelihood: report.entropy_likelihood,
    sigma2: report.sigma2,
    gini_mean: report.gini_mean,
    gini_sd: report.gini_sd,
  };
  if (files.out) {
    await makeOutputDir(files.out);
    for (const [name, array] of Object.entries(fittedArrays(fit)))
      await writeNpy(join(files.out, `${name}.npy`), array);
    const full = {
      ...printed,
      lambda: report.lambda,
      n: report.n,
      d: report.d,
      h: report.h,
      family: files.family,
      weights: files.weights,
      data: specText(files.data),
      iterations: fit.iterations,
    };
    await writeFileAtomic(join(files.out, 'report.json'), JSON.stringify(full, null, 2) + '\n');
  }
  return printed;
}
