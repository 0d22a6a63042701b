/** The files of a training run directory (cli.md, "train"), each written atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { writeFieldsPng } from '@entropy-sc/core/plot/fields';
import { chartPng } from '@entropy-sc/plot/render';
import { trainingCurvesSpec } from '@entropy-sc/plot/training-curves';

export interface MetricsRow {
  epoch: number;
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
  gini_mean: number;
  gini_sd: number;
  gamma: number;
  delta: number;
  /** training time of the epoch, evaluation excluded */
  seconds: number;
  samples_per_second: number;
  sigma2: number;
  /** whole-data evaluation time */
  eval_seconds: number;
  [extra: string]: unknown;
}

export function runPaths(dir: string) {
  return {
    metrics: join(dir, 'metrics.jsonl'),
    dictionary: join(dir, 'dictionary.npy'),
    priorScales: join(dir, 'prior_scales.npy'),
    modelCard: join(dir, 'model.json'),
    fields: join(dir, 'fields.png'),
    curves: join(dir, 'curves.png'),
    checkpoint: join(dir, 'checkpoint.ckpt'),
    /** the gap of the run's encoder, once `gap --run` measured it (GapRecord) */
    gap: join(dir, 'gap.json'),
  };
}

export interface RunSnapshot {
  metrics: MetricsRow[];
  /** W̃ [D, H] with unit columns */
  dictionary: Float32Array;
  /** λ [H] */
  lambda: Float64Array;
  d: number;
  h: number;
  tile: { width: number; height: number };
  modelCard: Record<string, unknown>;
}

export async function writeRunFiles(dir: string, s: RunSnapshot): Promise<void> {
  const paths = runPaths(dir);
  await writeFileAtomic(paths.metrics, s.metrics.map((row) => JSON.stringify(row)).join('\n') + '\n');
  await writeNpy(paths.dictionary, { data: s.dictionary, shape: [s.d, s.h] });
  await writeNpy(paths.priorScales, { data: s.lambda, shape: [s.h] });
  await writeFileAtomic(paths.modelCard, JSON.stringify(s.modelCard, null, 2) + '\n');
  const order = Array.from(s.lambda.keys()).sort((a, b) => s.lambda[b]! - s.lambda[a]!);
  await writeFieldsPng(paths.fields, s.dictionary, {
    d: s.d,
    h: s.h,
    patchWidth: s.tile.width,
    patchHeight: s.tile.height,
    order,
  });
  await writeFileAtomic(paths.curves, await chartPng(trainingCurvesSpec(s.metrics)));
}
