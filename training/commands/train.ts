/**
 * `entropy-sc train`: loads the data set, picks the backend and the learner (learners/registry.ts), and
 * runs the epoch loop.
 */
import { loadDataSet } from '@entropy-sc/core/data/data-set';
import { dataShape } from '@entropy-sc/core/data/data-shape';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';
import { lockRunDir } from '@entropy-sc/core/fs/run-lock';
import { barsRecovery } from '@entropy-sc/core/metrics/bars-recovery';
import { checkRunMemory, estimateRunMemory, type RunShape } from '@entropy-sc/core/resources/memory-estimate';
import { factorRank, type RunConfig } from '@entropy-sc/core/schema/run-config';
import { parseSchedule } from '../anneal/schedule.ts';
import { useBackend } from '../backend/backend.ts';
import { encoderConfigOf } from '@entropy-sc/graph/encoder-spec';
import { createLearner } from '../learners/registry.ts';
import type { LearnerState } from '../learners/learner.ts';
import { trainLoop } from '../run/train-loop.ts';
import type { MetricsRow } from '../run/run-files.ts';

export interface TrainOptions {
  config: RunConfig;
  /** the run directory */
  out: string;
  /** continue the run in `out` from its checkpoint */
  resume: boolean;
  /** start a new run from these variables instead of the seeded initialisation (fine-tuning) */
  initialState?: LearnerState;
}

export async function train({ config, out, resume, initialState }: TrainOptions): Promise<MetricsRow[]> {
  // The prior preset's γ = 10 shrinks an encoder's outputs by orders of magnitude, which Adam then
  // takes many epochs to undo, so amortized runs default to no annealing (measured in the README).
  // Non-amortized runs too: on bars, γ = 10 collapses the jointly fitted codes to zero (ELBO ≈ −50)
  // in every seed tried, and no annealing recovers all bars (learners/registry.ts).
  const schedule = parseSchedule(config.anneal);
  await checkMemory(config);
  await makeOutputDir(out);
  const lock = await lockRunDir(out);
  try {
    const backend = await useBackend(config.backend);
    const data = await loadDataSet(config.data, config.seed);
    const learner = await createLearner(config, data);
    if (initialState && !resume) learner.loadState(initialState);
    const truth = data.groundTruth;
    try {
      return await trainLoop(data, learner, {
        out,
        schedule,
        resume,
        config: { ...config, backend },
        extraMetrics: truth
          ? (w) => {
              const r = barsRecovery(w, data.d, config.latents, truth.w, truth.h);
              return { bars_recovered: r.recovered, bars_total: r.total };
            }
          : undefined,
      });
    } finally {
      learner.dispose();
    }
  } finally {
    await lock.release();
  }
}

/** Refuses, before anything is allocated, a run whose arrays cannot fit (src/resources/memory-estimate.ts). */
async function checkMemory(config: RunConfig): Promise<void> {
  const { n, d } = await dataShape(config.data);
  const encoder = encoderConfigOf(config, d);
  const shape: RunShape = {
    n,
    d,
    h: config.latents,
    batch: config.batch,
    family: config.posterior,
    rank: factorRank(config.rank),
    encoder: encoder && { hidden: encoder.hidden, inner: encoder.inner, blocks: encoder.blocks },
  };
  checkRunMemory(estimateRunMemory(shape), config.backend);
}
