/**
 * The one table that chooses how a run learns W̃ and the posteriors: backend × family × amortized ×
 * size → learner, with its default CPU threads. `train`, the bench and the tests take learners from
 * here only. A combination with no row is refused by the run's configuration
 * (src/schema/run-config.ts resolveRunConfig; test/training/learners/registry.test.ts holds the two
 * to the same answer for every combination, and the worker defaults to defaultWorkers).
 *
 * - Amortized (an encoder, Adam on minibatches): on wasm and cpu the step is one onnxruntime graph
 *   (@entropy-sc/graph/gradient-graph.ts, native GEMMs on --workers threads); on tensorflow
 *   (tfjs-node's own threads) TensorFlow.js differentiates it; on webgpu the device learner keeps
 *   the step on the GPU.
 * - Non-amortized (per-point posteriors by L-BFGS): joint L-BFGS over W and all posteriors when all
 *   points' parameters fit one L-BFGS problem (N · parameters per point ≤ JOINT_LIMIT, e.g. bars:
 *   1000 × 65 for full covariance with H = 10; one epoch is ITERATIONS_PER_EPOCH iterations);
 *   EM-like minibatch learning otherwise: per minibatch (--batch) an L-BFGS E-step, then one Adam
 *   step (--lr) on W. For data with a known generating dictionary (bars), the model card also gets
 *   that dictionary's own ELBO on the same data (ground-truth.ts).
 */
import type { DataSet } from '@entropy-sc/core/data/data-set';
import { factorRank, type RunConfig } from '@entropy-sc/core/schema/run-config';
import { encoderConfigOf } from '@entropy-sc/graph/encoder-spec';
import type { BackendName } from '../backend/backend.ts';
import type { PosteriorFamily } from '../objective/posterior.ts';
import { fitsJointly, spreadDefaults } from '../per-point/defaults.ts';
import { AmortizedLearner, type AmortizedOptions } from './amortized-learner.ts';
import { DeviceAmortizedLearner } from './device-amortized-learner.ts';
import { EmLearner } from './em-learner.ts';
import { GroundTruthScored } from './ground-truth.ts';
import { JointLearner } from './joint-learner.ts';
import type { Learner } from './learner.ts';
import { NativeAmortizedLearner } from './native-amortized-learner.ts';

/** What picks a learner. */
export interface LearnerKey {
  backend: BackendName;
  family: PosteriorFamily;
  amortized: boolean;
  /** non-amortized: whether every point's parameters fit one L-BFGS problem (per-point/defaults.ts fitsJointly) */
  joint: boolean;
}

interface Row<Options> {
  name: string;
  backends: readonly BackendName[];
  families: readonly PosteriorFamily[];
  amortized: boolean;
  /** non-amortized rows: joint or minibatch (EM-like); amortized rows: either */
  size: 'joint' | 'minibatch' | 'any';
  /** the default of --workers: every core, or one thread */
  workers: 'cores' | 'one';
  create: (options: Options) => Learner | Promise<Learner>;
}

/** An amortized learner's options: the encoder, Adam's rates and the threads of its products. */
export type AmortizedLearnerOptions = AmortizedOptions & { threads: number };
type AmortizedRow = Row<AmortizedLearnerOptions> & { amortized: true };
type PerPointRow = Row<NonAmortizedOptions> & { amortized: false };
export type LearnerRow = AmortizedRow | PerPointRow;

const cpu: readonly BackendName[] = ['wasm', 'cpu'];
const hostBackends: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow'];
const amortizedFamilies: readonly PosteriorFamily[] = ['diag', 'lowrank'];
const allFamilies: readonly PosteriorFamily[] = ['diag', 'lowrank', 'full'];

export const LEARNERS: readonly LearnerRow[] = [
  {
    name: 'onnxruntime gradient graph (native-amortized-learner.ts)',
    backends: cpu,
    families: amortizedFamilies,
    amortized: true,
    size: 'any',
    workers: 'cores',
    create: (options) => NativeAmortizedLearner.create(options),
  },
  {
    name: 'TensorFlow.js autodiff (amortized-learner.ts)',
    backends: ['tensorflow'],
    families: amortizedFamilies,
    amortized: true,
    size: 'any',
    workers: 'one',
    create: (options) => new AmortizedLearner(options),
  },
  {
    name: 'webgpu device step (device-amortized-learner.ts)',
    backends: ['webgpu'],
    families: amortizedFamilies,
    amortized: true,
    size: 'any',
    workers: 'one',
    create: (options) => new DeviceAmortizedLearner(options),
  },
  {
    name: 'joint L-BFGS (joint-learner.ts)',
    backends: hostBackends,
    families: allFamilies,
    amortized: false,
    size: 'joint',
    workers: 'one',
    create: (options) => scored(jointLearner(options), options),
  },
  {
    name: 'EM-like minibatches (em-learner.ts)',
    backends: hostBackends,
    families: allFamilies,
    amortized: false,
    size: 'minibatch',
    workers: 'one',
    create: (options) => scored(emLearner(options), options),
  },
];

/** The row for a combination, or null where no learner exists (the run configuration refuses it). */
export function learnerFor(key: LearnerKey): LearnerRow | null {
  return (
    LEARNERS.find(
      (row) =>
        row.amortized === key.amortized &&
        row.backends.includes(key.backend) &&
        row.families.includes(key.family) &&
        (row.size === 'any' || (row.size === 'joint') === key.joint),
    ) ?? null
  );
}

/** The learner `train` uses for a run's config (the bench times the same one). */
export async function createLearner(config: RunConfig, data: DataSet): Promise<Learner> {
  const backend = config.backend as BackendName;
  const encoder = encoderConfigOf(config, data.d);
  const batch = Math.min(config.batch, data.n); // the minibatch buffers hold this many rows
  if (encoder) {
    const row = learnerFor({ backend, family: config.posterior, amortized: true, joint: false });
    if (!row?.amortized) throw new Error(`no amortized learner for ${config.posterior} on ${backend}`);
    return row.create({
      encoder,
      batch,
      learningRate: config.lr,
      dictionaryLearningRate: config.dictionary_lr,
      seed: config.seed,
      threads: config.workers,
    });
  }
  const options: NonAmortizedOptions = {
    data,
    family: config.posterior,
    h: config.latents,
    rank: factorRank(config.rank),
    seed: config.seed,
    batch,
    learningRate: config.dictionary_lr,
  };
  const joint = fitsJointly(data.n, { family: options.family, h: options.h, rank: options.rank });
  const row = learnerFor({ backend, family: config.posterior, amortized: false, joint });
  if (!row || row.amortized) throw new Error(`no non-amortized learner for ${config.posterior} on ${backend}`);
  return row.create(options);
}

/** L-BFGS iterations per epoch of the joint learner (50 default epochs: 1000 iterations). */
export const ITERATIONS_PER_EPOCH = 20;
/**
 * L-BFGS iterations of each minibatch E-step of EM-like learning, warm-started from the point's last
 * fit. Measured on 8 192 shipped patches, 4 epochs: 5 iterations reach 90.5 nats in 12 s of
 * training, 20 iterations about the same in 5× the time (README, "EM-like learning").
 */
export const E_STEP_ITERATIONS = 5;
/**
 * L-BFGS iterations of the per-epoch refit of every point for the report (em-learner.ts). Measured
 * on 20 000 shipped patches after 3 epochs: 20 iterations report 87.4168 nats in 95 s, 10 iterations
 * 87.4161 in 29 s, 5 iterations 87.3833 in 9 s (later iterations sit at the precision floor, where
 * the line search spends many evaluations).
 */
export const EVALUATION_ITERATIONS = 10;
const HISTORY_SIZE = 10;
const K_LINES = Object.freeze({ restarts: 5, iterations: 20 });

export interface NonAmortizedOptions {
  data: DataSet;
  family: PosteriorFamily;
  /** latents H */
  h: number;
  rank: number;
  seed: number;
  batch: number;
  learningRate: number;
}

function jointLearner({ data, family, h, rank, seed }: NonAmortizedOptions): Learner {
  const { initialStd, spreadScale } = spreadDefaults(data.x);
  return new JointLearner({
    family,
    h,
    rank,
    spreadScale,
    x: data.x,
    n: data.n,
    d: data.d,
    seed,
    iterationsPerEpoch: ITERATIONS_PER_EPOCH,
    historySize: HISTORY_SIZE,
    initialStd,
    kLines: K_LINES,
  });
}

function emLearner({ data, family, h, rank, seed, batch, learningRate }: NonAmortizedOptions): Learner {
  const { initialStd, spreadScale } = spreadDefaults(data.x);
  return new EmLearner({
    family,
    h,
    rank,
    spreadScale,
    n: data.n,
    d: data.d,
    seed,
    batch,
    learningRate,
    eStepIterations: E_STEP_ITERATIONS,
    evaluationIterations: EVALUATION_ITERATIONS,
    historySize: HISTORY_SIZE,
    initialStd,
  });
}

/** On data with a known generating dictionary (bars), the learner scored against it. */
function scored(learner: Learner, { data, seed }: NonAmortizedOptions): Learner {
  const { x, n, d, groundTruth } = data;
  return groundTruth ? new GroundTruthScored(learner, { x, n, d, w: groundTruth.w, h: groundTruth.h, seed }) : learner;
}
