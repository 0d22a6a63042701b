/**
 * The model card (cli.md `train` and `export`): what a learned model is, how its data was made and
 * how well it did. It travels with the model (`model.json`, the ONNX file's `metadata_props`), so it
 * holds no path of the machine that trained it: data sources appear by their spec and names.
 */
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { dataSpec } from './data-spec.ts';
import {
  defaultEncoderWidths,
  posteriorFamily,
  resolvedEncoderWidths,
  runConfig,
  type RunConfig,
} from './run-config.ts';
import { issuesText } from './issues-text.ts';
import type { OutputName } from './onnx-contract.ts';

export const MODEL_CARD_FORMAT = 'entropy-sc/model-card@1';

/**
 * The amortization gap of a run's encoder as `gap --run` measured it (nats per point, Θ frozen), kept
 * in the run folder as gap.json and copied into the card by `export` while the run is at that epoch.
 */
export const gapRecord = z.strictObject({
  amortized_elbo: z.number(),
  refined_elbo: z.number(),
  gap: z.number().nonnegative(),
  per_point: z.strictObject({ mean: z.number(), median: z.number(), p95: z.number() }),
  family: posteriorFamily,
  /** points measured, and the data they came from */
  points: z.number().int().positive(),
  data: dataSpec,
  /** the run's last epoch (0-based, as in metrics.jsonl) when it was measured */
  epoch: z.number().int().nonnegative(),
});

export type GapRecord = z.infer<typeof gapRecord>;

/**
 * How the model was trained: the run's settings less those that describe the model, which the card
 * holds once at its top level (H = `latents`, `family` = `posterior`, `rank`, `amortized`, `encoder`).
 */
export const trainingSettings = runConfig.omit({
  latents: true,
  posterior: true,
  rank: true,
  amortized: true,
  encoder: true,
});

/** The run's settings less what the card's top level holds. */
export function trainingSettingsOf(config: RunConfig): z.infer<typeof trainingSettings> {
  const {
    latents: _h,
    posterior: _family,
    rank: _rank,
    amortized: _amortized,
    encoder: _encoder,
    ...settings
  } = config;
  return settings;
}

export const modelCard = z
  .looseObject({
    format: z.literal(MODEL_CARD_FORMAT),
    /** a short name for serving (`/v1/model`, OIP model name, Triton folder) */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    d: z.number().int().positive(),
    h: z.number().int().positive(),
    family: posteriorFamily,
    /** the low-rank factor's columns r: a number for the lowrank family, null for the others */
    rank: z.number().int().positive().nullable(),
    amortized: z.boolean(),
    /** the encoder's widths as built; null for a model without an encoder (non-amortized) */
    encoder: resolvedEncoderWidths.nullable(),
    /** σ² at its optimum for the final posteriors */
    sigma2: z.number().positive(),
    /** how rows were made from the source (patch layout, whitening), descriptive */
    preprocessing: z.record(z.string(), z.unknown()),
    /** the data the model learned from, as a portable spec; an encoder applies its preprocessing to new data */
    data: dataSpec,
    n: z.number().int().positive(),
    /** how a row (or a generative field) is drawn as an image */
    tile: z.strictObject({ width: z.number().int().positive(), height: z.number().int().positive() }),
    seed: z.number().int().nonnegative(),
    config: trainingSettings,
    versions: z.record(z.string(), z.string()),
    /** the last epoch's metrics row */
    metrics: z.record(z.string(), z.unknown()),
    amortization_gap: gapRecord.optional(),
    /** present when the model takes images (`export --image`): its P×P windows and their stride */
    image: z.strictObject({ patch: z.number().int().positive(), stride: z.number().int().positive() }).optional(),
  })
  .refine((card) => (card.family === 'lowrank') === (card.rank !== null), {
    message: 'rank is a number for the lowrank family and null for the others',
    path: ['rank'],
  });

export type ModelCard = z.infer<typeof modelCard>;

/**
 * Validates a card read from `origin` (a file name, for the one-line error). The one place that reads
 * older cards too: they held the whole run configuration in `config` (H, family, rank, amortized and
 * the encoder widths a second time); those are moved to the top level here, after checking that both
 * copies agree, so no reader ever sees the old form.
 */
export function parseModelCard(value: unknown, origin: string): ModelCard {
  const parsed = modelCard.safeParse(upgradeEarlierCard(value, origin));
  if (!parsed.success) throw new UserError(`${origin}: not an entropy-sc model card (${issuesText(parsed.error)})`);
  return parsed.data;
}

function upgradeEarlierCard(value: unknown, origin: string): unknown {
  if (!isRecord(value) || !isRecord(value['config']) || !('posterior' in value['config'])) return value;
  const { latents, posterior, rank, amortized, encoder, ...settings } = value['config'];
  const copies: Array<[string, unknown, unknown]> = [
    ['h', value['h'], latents],
    ['family', value['family'], posterior],
    ['rank', value['rank'], rank],
    ['amortized', value['amortized'], amortized],
  ];
  for (const [key, top, inConfig] of copies)
    if (top !== inConfig)
      throw new UserError(
        `${origin}: not an entropy-sc model card (its ${key} is ${JSON.stringify(top)} but its config says ${JSON.stringify(inConfig)})`,
      );
  // amortized cards also held the built widths at the top level (the learner's description)
  const widths = isRecord(encoder) ? { ...defaultEncoderWidths(Number(value['d'])), ...definedOf(encoder) } : null;
  return { ...value, encoder: value['encoder'] ?? widths, config: settings };
}

function definedOf(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each row output's shape without the batch axis, as the card says (cli.md `export`). */
export function outputRowShape(card: ModelCard, name: Exclude<OutputName, 'whitened'>): number[] {
  switch (name) {
    case 'elbo':
      return [];
    case 'reconstruction':
      return [card.d];
    case 'covariance':
      return [card.h, card.h];
    case 'cov_factor':
      if (card.rank === null) throw new UserError(`a ${card.family} model has no cov_factor`);
      return [card.h, card.rank];
    case 'mean':
    case 'variance':
    case 'cov_diag':
      return [card.h];
  }
}
