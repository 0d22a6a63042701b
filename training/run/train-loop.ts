/**
 * The epoch loop shared by every way of learning: train an epoch, evaluate the un-annealed ELBO on
 * the whole training set, write the run's files and an atomic checkpoint. `--resume` restores the
 * learner, the generator and the metrics from the checkpoint, so a resumed run ends exactly where
 * an uninterrupted one with the same seed and backend does.
 */
import { stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type { DataSet } from '@entropy-sc/core/data/data-set';
import { UserError } from '@entropy-sc/core/errors';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';
import { createProgress } from '@entropy-sc/core/progress';
import { Random } from '@entropy-sc/core/random';
import { portableDataSpec } from '@entropy-sc/core/schema/data-spec';
import {
  MODEL_CARD_FORMAT,
  parseModelCard,
  trainingSettingsOf,
  type ModelCard,
} from '@entropy-sc/core/schema/model-card';
import { configDifferences, type RunConfig } from '@entropy-sc/core/schema/run-config';
import { VERSION } from '@entropy-sc/core/version';
import type { Schedule } from '../anneal/schedule.ts';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint-file.ts';
import { evaluateDataSetAsync } from '../evaluate/evaluate-data-set.ts';
import { normalizeColumns } from '../objective/point-statistics.ts';
import { divergence, firstNonFinite } from './epoch-health.ts';
import type { Learner } from '../learners/learner.ts';
import { parseLoopState, type LoopState } from './loop-state.ts';
import { runPaths, writeRunFiles, type MetricsRow } from './run-files.ts';

export interface TrainLoopOptions {
  out: string;
  schedule: Schedule;
  resume: boolean;
  /** everything that defines the run; a resumed run must match it but for the number of epochs */
  config: RunConfig;
  /** extra per-epoch metrics (e.g. bars recovery) from the normalised dictionary [D, H] */
  extraMetrics?: (dictionary: Float32Array) => Record<string, unknown>;
  /** where the closing line goes (stderr by default) */
  log?: (line: string) => void;
}

export async function trainLoop(data: DataSet, learner: Learner, options: TrainLoopOptions): Promise<MetricsRow[]> {
  const paths = runPaths(options.out);
  await makeOutputDir(options.out);
  let epoch = 0;
  let metrics: MetricsRow[] = [];
  const { config } = options;
  let rng = new Random(config.seed ^ 0x5eed);
  if (options.resume) {
    const saved = await loadCheckpoint<unknown>(paths.checkpoint);
    const state = parseLoopState(saved.state, paths.checkpoint);
    const changed = configDifferences(state.config, config);
    if (changed.length > 0)
      throw new UserError(`--resume: ${paths.checkpoint} was written with different settings (${changed.join('; ')})`);
    learner.loadState({ state: state.learner, arrays: saved.arrays });
    rng = new Random(state.rng);
    metrics = state.metrics;
    epoch = state.epoch;
  } else if (await exists(paths.checkpoint)) {
    throw new UserError(
      `${options.out} already holds a run (${paths.checkpoint}); pass --resume to continue it, or choose another --out`,
    );
  }

  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (epoch >= config.epochs) {
    log(
      `${options.out}: the run is already complete (${epoch} epochs done, --epochs ${config.epochs}); nothing was changed. To train on, resume with a larger --epochs`,
    );
    return metrics;
  }
  for (; epoch < config.epochs; epoch++) {
    const { gamma, delta } = options.schedule(epoch);
    const units = learner.unitsPerEpoch(data.n);
    const progress = createProgress(`epoch ${epoch + 1}/${config.epochs}`, units);
    const started = performance.now();
    const last = await learner.trainEpoch({
      x: data.x,
      n: data.n,
      d: data.d,
      gamma,
      delta,
      rng,
      onProgress: (done, value) => progress.update(done, `L(γ=${gamma},δ=${round(delta)}) ${value.toFixed(3)}`),
    });
    const seconds = (performance.now() - started) / 1000;
    if (!Number.isFinite(last)) {
      progress.finish(`epoch ${epoch + 1}: stopped`);
      throw divergence(epoch, `the objective = ${last}`, config, paths.checkpoint);
    }
    const evalStarted = performance.now();
    const evaluation = {
      x: data.x,
      n: data.n,
      d: data.d,
      w: learner.dictionary,
      posterior: (x: tf.Tensor2D, start: number, end: number) => learner.posterior(x, start, end),
      seed: config.seed,
    };
    const report = await (learner.evaluate ? learner.evaluate(evaluation) : evaluateDataSetAsync(evaluation));
    const normalized = tf.tidy(() => normalizeColumns(learner.dictionary));
    const dictionary = (await normalized.data()) as Float32Array;
    normalized.dispose();
    const row: MetricsRow = {
      epoch,
      elbo: report.elbo,
      entropy_q: report.entropy_q,
      entropy_prior: report.entropy_prior,
      entropy_likelihood: report.entropy_likelihood,
      gini_mean: report.gini_mean,
      gini_sd: report.gini_sd,
      gamma,
      delta,
      seconds,
      samples_per_second: data.n / seconds,
      sigma2: report.sigma2,
      eval_seconds: (performance.now() - evalStarted) / 1000,
      ...options.extraMetrics?.(dictionary),
    };
    const saved = await learner.saveState();
    const diverged = firstNonFinite(row, { lambda: report.lambda, dictionary, ...saved.arrays });
    if (diverged) {
      progress.finish(`epoch ${epoch + 1}: stopped`);
      throw divergence(epoch, diverged, config, paths.checkpoint);
    }
    metrics.push(row);
    progress.finish(
      `epoch ${epoch + 1}/${config.epochs}: ELBO ${row.elbo.toFixed(4)}  H[q] ${row.entropy_q.toFixed(3)}  H[p(z)] ${row.entropy_prior.toFixed(3)}  H[p(x|z)] ${row.entropy_likelihood.toFixed(3)}  Gini ${row.gini_mean.toFixed(3)}±${row.gini_sd.toFixed(3)}  ${Math.round(row.samples_per_second)} samples/s`,
    );
    await writeRunFiles(options.out, {
      metrics,
      dictionary,
      lambda: Float64Array.from(report.lambda),
      d: data.d,
      h: report.h,
      tile: data.tile,
      modelCard: modelCard(data, learner, config, row, report.sigma2),
    });
    await saveCheckpoint<LoopState>(paths.checkpoint, {
      state: { epoch: epoch + 1, rng: rng.state(), metrics, config, learner: saved.state },
      arrays: saved.arrays,
    });
  }
  if (epoch === config.epochs && metrics.length > 0)
    log(
      `wrote ${options.out}: metrics.jsonl, dictionary.npy, prior_scales.npy, model.json, fields.png, curves.png, checkpoint.ckpt`,
    );
  return metrics;
}

function modelCard(data: DataSet, learner: Learner, config: RunConfig, final: MetricsRow, sigma2: number): ModelCard {
  const card = {
    format: MODEL_CARD_FORMAT,
    name: `entropy-sc-${learner.family}-h${learner.dictionary.shape[1]}`,
    d: data.d,
    h: learner.dictionary.shape[1],
    family: learner.family,
    rank: learner.rank,
    amortized: config.amortized,
    encoder: learner.encoderWidths,
    sigma2,
    preprocessing: data.preprocessing as Record<string, unknown>,
    data: portableDataSpec(data.spec),
    n: data.n,
    tile: data.tile,
    seed: config.seed,
    config: { ...trainingSettingsOf(config), data: portableDataSpec(config.data) },
    ...learner.describe(),
    versions: { 'entropy-sc': VERSION, 'tfjs-core': tf.version_core, node: process.version, backend: tf.getBackend() },
    metrics: final,
  };
  return parseModelCard(card, 'model.json');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function round(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
