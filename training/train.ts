/**
 * `entropy-sc train`: loads the data set, picks the backend and the learner, and runs the epoch loop.
 */
import { loadDataSet, type DataSet } from '@entropy-sc/core/data/data-set';
import type { TrainFlags } from '@entropy-sc/core/cli/commands/train';
import { barsRecovery } from '@entropy-sc/core/metrics/bars-recovery';
import { availableParallelism } from 'node:os';
import { AmortizedLearner } from './amortized/amortized-learner.ts';
import { parseSchedule } from './anneal/schedule.ts';
import { useBackend } from './backend.ts';
import { defaultEncoderConfig } from './encoder/encoder.ts';
import { createNonAmortizedLearner } from './non-amortized/create-learner.ts';
import { ParallelAmortizedLearner } from './parallel/parallel-amortized-learner.ts';
import type { Learner } from './run/learner.ts';
import { trainLoop } from './run/train-loop.ts';
import type { MetricsRow } from './run/run-files.ts';

export type TrainOptions = TrainFlags & { amortized: boolean };

export async function train(options: TrainOptions): Promise<MetricsRow[]> {
  // The prior preset's γ = 10 shrinks an encoder's outputs by orders of magnitude, which Adam then
  // takes many epochs to undo, so amortized runs default to no annealing (measured in the README).
  // Non-amortized runs too: on bars, γ = 10 collapses the jointly fitted codes to zero (ELBO ≈ −50)
  // in every seed tried, and no annealing recovers all bars (non-amortized/create-learner.ts).
  const schedule = parseSchedule(options.anneal ?? 'none');
  const backend = await useBackend(options.backend);
  const data = await loadDataSet(options.data, {
    barsSize: options.barsSize,
    samples: options.samples,
    noise: options.noise,
    patch: options.patch,
    whiten: options.whiten,
    seed: options.seed,
  });
  const epochs = options.epochs ?? (options.amortized ? 20 : 50);
  const workers = options.amortized ? (options.workers ?? defaultWorkers(backend)) : 1;
  const learner = await createLearner(options, data, workers);
  const truth = data.groundTruth;
  try {
    return await trainLoop(data, learner, {
      out: options.out,
      epochs,
      schedule,
      seed: options.seed,
      resume: options.resume,
      config: {
        data: options.data,
        samples: data.n,
        latents: options.latents,
        posterior: options.posterior,
        rank: options.posterior === 'lowrank' ? options.rank : null,
        amortized: options.amortized,
        batch: options.batch,
        lr: options.lr,
        dictionary_lr: dictionaryLearningRate(options),
        anneal: options.anneal ?? null,
        backend,
        // runs are deterministic for a given thread count, and round differently across counts
        ...(workers > 1 ? { workers } : {}),
        seed: options.seed,
        epochs,
      },
      extraMetrics: truth
        ? (w) => {
            const r = barsRecovery(w, data.d, options.latents, truth.w, truth.h);
            return { bars_recovered: r.recovered, bars_total: r.total };
          }
        : undefined,
    });
  } finally {
    learner.dispose();
  }
}

/**
 * The dictionary's columns have unit length while the encoder's weights are O(1/√width), so the
 * same Adam step turns W's columns slowly: 10× the encoder's rate measured best on image patches.
 */
function dictionaryLearningRate(options: TrainOptions): number {
  return options.dictionaryLr ?? 10 * options.lr;
}

/** Two threads where two cores and a CPU backend exist: ×1.5-1.7 measured on this 2-core machine. */
function defaultWorkers(backend: string): number {
  return backend === 'wasm' || backend === 'cpu' ? Math.min(2, availableParallelism()) : 1;
}

async function createLearner(options: TrainOptions, data: DataSet, workers: number): Promise<Learner> {
  const d = data.d;
  if (options.amortized) {
    const family = options.posterior === 'lowrank' ? 'lowrank' : 'diag';
    const encoder = { ...defaultEncoderConfig(d, options.latents, family, options.rank), blocks: options.blocks };
    if (options.hidden) encoder.hidden = options.hidden;
    if (options.inner) encoder.inner = options.inner;
    const amortized = {
      encoder,
      batch: options.batch,
      learningRate: options.lr,
      dictionaryLearningRate: dictionaryLearningRate(options),
      seed: options.seed,
    };
    return workers > 1 ? ParallelAmortizedLearner.create({ ...amortized, workers }) : new AmortizedLearner(amortized);
  }
  return createNonAmortizedLearner({
    data,
    family: options.posterior,
    h: options.latents,
    rank: options.rank,
    seed: options.seed,
    batch: options.batch,
    learningRate: dictionaryLearningRate(options),
  });
}
