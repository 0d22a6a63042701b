/**
 * What a user's default run costs per epoch: `train --data images:data/natural-images --latents 100`
 * (50 000 whitened 16×16 patches, 2 threads where two cores exist) for a few epochs: the training
 * and whole-data evaluation seconds of each epoch (metrics.jsonl) and the epoch's wall time
 * (training, evaluation, run files and checkpoint), averaged over the epochs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataSet } from '../src/data/data-set.ts';
import { resolveRunConfig, type TrainFlags } from '../src/schema/run-config.ts';
import { parseSchedule } from '../training/anneal/schedule.ts';
import { trainLoop } from '../training/run/train-loop.ts';
import { createLearner } from '../training/learners/registry.ts';

export interface EpochRun {
  name: string;
  threads: number;
  n: number;
  epochs: number;
  /** means over the epochs */
  trainingSeconds: number;
  evaluationSeconds: number;
  epochSeconds: number;
  samplesPerSecond: number;
  /** whole-data ELBO after the last epoch */
  elbo: number;
}

/** @param flags train flags on top of the default image run (e.g. `{ posterior: 'lowrank' }`) */
export async function measureEpochRun(flags: Partial<TrainFlags>, epochs: number): Promise<EpochRun> {
  const config = resolveRunConfig({ data: 'images:data/natural-images', latents: 100, ...flags, epochs });
  const data = await loadDataSet(config.data, config.seed);
  const learner = await createLearner(config, data);
  const out = mkdtempSync(join(tmpdir(), 'entropy-sc-bench-epoch-'));
  try {
    const started = performance.now();
    const metrics = await trainLoop(data, learner, {
      out,
      schedule: parseSchedule(config.anneal),
      resume: false,
      config,
      log: () => undefined,
    });
    const wall = (performance.now() - started) / 1000;
    const mean = (key: 'seconds' | 'eval_seconds') => metrics.reduce((sum, row) => sum + row[key], 0) / metrics.length;
    const trainingSeconds = mean('seconds');
    return {
      name: `${config.posterior}, default run (${data.n} patches)`,
      threads: config.workers,
      n: data.n,
      epochs,
      trainingSeconds,
      evaluationSeconds: mean('eval_seconds'),
      epochSeconds: wall / epochs,
      samplesPerSecond: data.n / trainingSeconds,
      elbo: metrics[metrics.length - 1]!.elbo,
    };
  } finally {
    learner.dispose();
    rmSync(out, { recursive: true, force: true });
  }
}
