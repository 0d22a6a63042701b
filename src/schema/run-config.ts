/**
 * Everything that defines a training run, and so everything `--resume` must find unchanged. The
 * defaults live here: commander's help, `demo`, the bench and the tests read them from
 * `trainDefaults` instead of restating them.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { dataSpec, parseDataSpec, type DataFlags } from './data-spec.ts';
import { issuesText } from './issues-text.ts';

const positiveInt = z.number().int().positive();

export const posteriorFamily = z.enum(['diag', 'lowrank', 'full']);
export type PosteriorFamilyName = z.infer<typeof posteriorFamily>;

/** The largest seed the generators use whole (they are seeded with 32 bits). */
export const MAX_SEED = 2 ** 32 - 1;

export const encoderWidths = z.strictObject({
  /** residual stream width (null: 2D) */
  hidden: positiveInt.nullable(),
  /** residual block width (null: 3D) */
  inner: positiveInt.nullable(),
  blocks: z.number().int().nonnegative(),
});

/** The widths a run leaves open, for rows of width `d`: a residual stream of 2D, blocks of 3D. */
export function defaultEncoderWidths(d: number): { hidden: number; inner: number } {
  return { hidden: 2 * d, inner: 3 * d };
}

/** The encoder's widths as built: none left open. */
export const resolvedEncoderWidths = z.strictObject({
  hidden: positiveInt,
  inner: positiveInt,
  blocks: z.number().int().nonnegative(),
});
export type EncoderWidths = z.infer<typeof resolvedEncoderWidths>;

/**
 * The columns of the posterior's low-rank factor in array layouts and estimates: r for the lowrank
 * family (whose rank is never null); the other families' layouts ignore it and get 1.
 */
export function factorRank(rank: number | null): number {
  return rank ?? 1;
}

export const runConfig = z.strictObject({
  data: dataSpec,
  latents: positiveInt,
  posterior: posteriorFamily,
  /** low-rank only */
  rank: positiveInt.nullable(),
  amortized: z.boolean(),
  /** amortized only */
  encoder: encoderWidths.nullable(),
  epochs: positiveInt,
  batch: positiveInt,
  lr: z.number().positive(),
  dictionary_lr: z.number().positive(),
  anneal: z.string(),
  backend: z.string(),
  /** CPU threads of the encoder's matrix products (onnxruntime); runs are deterministic for a given count */
  workers: positiveInt,
  seed: z.number().int().min(0).max(MAX_SEED),
});

export type RunConfig = z.infer<typeof runConfig>;

export const trainDefaults = {
  posterior: 'diag',
  /** the low-rank family's rank, capped at H */
  rank: 5,
  batch: 512,
  lr: 1e-3,
  /** the dictionary's Adam rate as a multiple of --lr: its unit-length columns turn slowly otherwise */
  dictionaryLrFactor: 10,
  epochs: { amortized: 20, nonAmortized: 50 },
  anneal: 'none',
  backend: 'wasm',
  seed: 1,
  blocks: 2,
} as const;

/** Train flags as the CLI gives them: undefined where the user did not set one. */
export interface TrainFlags extends DataFlags {
  data: string;
  latents: number;
  posterior?: PosteriorFamilyName;
  rank?: number;
  amortized?: boolean;
  epochs?: number;
  batch?: number;
  lr?: number;
  dictionaryLr?: number;
  anneal?: string;
  backend?: string;
  workers?: number;
  seed?: number;
  hidden?: number;
  inner?: number;
  blocks?: number;
}

/** CPU threads of amortized training by default: every core, where a CPU backend hands the encoder to onnxruntime. */
export function defaultWorkers(backend: string, amortized: boolean): number {
  return amortized && (backend === 'wasm' || backend === 'cpu') ? availableParallelism() : 1;
}

/** Applies the defaults, including those that depend on other settings, and checks the combination. */
export function resolveRunConfig(flags: TrainFlags): RunConfig {
  const posterior = flags.posterior ?? trainDefaults.posterior;
  const amortized = flags.amortized ?? posterior !== 'full';
  if (amortized && posterior === 'full')
    throw new UserError('--posterior full is non-amortized only: add --no-amortized');
  const rank = posterior === 'lowrank' ? (flags.rank ?? Math.min(trainDefaults.rank, flags.latents)) : null;
  if (rank !== null && rank > flags.latents) throw new UserError(`--rank ${rank} exceeds --latents ${flags.latents}`);
  if (posterior !== 'lowrank' && flags.rank !== undefined)
    throw new UserError(`--rank applies to --posterior lowrank only (this run is ${posterior})`);
  if (!amortized && (flags.hidden ?? flags.inner ?? flags.blocks) !== undefined)
    throw new UserError('--hidden, --inner and --blocks set the encoder: they do not apply with --no-amortized');
  const backend = flags.backend ?? trainDefaults.backend;
  const lr = flags.lr ?? trainDefaults.lr;
  if (flags.workers !== undefined && !amortized) throw new UserError('--workers applies to amortized training only');
  if (backend === 'webgpu' && !amortized)
    throw new UserError(
      '--backend webgpu trains amortized encoders only: non-amortized learning (L-BFGS) reads the objective on the host every iteration; use --backend wasm',
    );
  if (backend === 'webgpu' && (flags.workers ?? 1) > 1)
    throw new UserError(
      "--workers sets the CPU threads of the encoder's matrix products: it does not apply to --backend webgpu",
    );
  const config: RunConfig = {
    data: parseDataSpec(flags.data, flags),
    latents: flags.latents,
    posterior,
    rank,
    amortized,
    encoder: amortized
      ? { hidden: flags.hidden ?? null, inner: flags.inner ?? null, blocks: flags.blocks ?? trainDefaults.blocks }
      : null,
    epochs: flags.epochs ?? (amortized ? trainDefaults.epochs.amortized : trainDefaults.epochs.nonAmortized),
    batch: flags.batch ?? trainDefaults.batch,
    lr,
    dictionary_lr: flags.dictionaryLr ?? trainDefaults.dictionaryLrFactor * lr,
    anneal: flags.anneal ?? trainDefaults.anneal,
    backend,
    workers: flags.workers ?? defaultWorkers(backend, amortized),
    seed: flags.seed ?? trainDefaults.seed,
  };
  const parsed = runConfig.safeParse(config);
  if (!parsed.success) throw new UserError(`train: ${issuesText(parsed.error)}`);
  return parsed.data;
}

/** Settings a resumed run may change without changing what the epochs it already ran computed. */
const resumable = new Set<keyof RunConfig>(['epochs']);

/**
 * Every setting that differs between a checkpoint's config and this run's, as `name: there → now`
 * phrases (dotted paths for nested settings); empty when the run may resume.
 */
export function configDifferences(saved: RunConfig, now: RunConfig): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isRecord(a) && isRecord(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], path ? `${path}.${key}` : key);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${path}: ${JSON.stringify(a) ?? 'unset'} there, ${JSON.stringify(b) ?? 'unset'} now`);
    }
  };
  for (const key of Object.keys(runConfig.shape) as (keyof RunConfig)[])
    if (!resumable.has(key)) walk(saved[key], now[key], key);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
