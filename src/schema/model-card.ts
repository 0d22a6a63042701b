/**
 * The model card (cli.md `train` and `export`): what a learned model is, how its data was made and
 * how well it did. It travels with the model (`model.json`, the ONNX file's `metadata_props`), so it
 * holds no path of the machine that trained it: data sources appear by their spec and names.
 */
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { dataSpec } from './data-spec.ts';
import { posteriorFamily, runConfig } from './run-config.ts';
import { issuesText } from './issues-text.ts';

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

export const modelCard = z.looseObject({
  format: z.literal(MODEL_CARD_FORMAT),
  /** a short name for serving (`/v1/model`, OIP model name, Triton folder) */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  d: z.number().int().positive(),
  h: z.number().int().positive(),
  family: posteriorFamily,
  rank: z.number().int().positive().nullable(),
  amortized: z.boolean(),
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
  config: runConfig,
  versions: z.record(z.string(), z.string()),
  /** the last epoch's metrics row */
  metrics: z.record(z.string(), z.unknown()),
  amortization_gap: gapRecord.optional(),
  /** present when the model takes images (`export --image`): its P×P windows and their stride */
  image: z.strictObject({ patch: z.number().int().positive(), stride: z.number().int().positive() }).optional(),
});

export type ModelCard = z.infer<typeof modelCard>;

/** Validates a card read from `origin` (a file name, for the one-line error). */
export function parseModelCard(value: unknown, origin: string): ModelCard {
  const parsed = modelCard.safeParse(value);
  if (!parsed.success) throw new UserError(`${origin}: not an entropy-sc model card (${issuesText(parsed.error)})`);
  return parsed.data;
}
