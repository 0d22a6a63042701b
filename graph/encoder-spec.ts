/**
 * The amortized encoder's specification, the one table of its layers that every stage reads (the
 * TensorFlow.js encoder, the export graph, the gradient graph, checkpoints): math.md, "The encoder"
 * (Appendix D.3): x → Linear(D → hidden) → `blocks` residual blocks
 * h ← h + Linear(inner → hidden)(ReLU(Linear(hidden → inner)(ReLU(h)))) → the heads ν, the std head
 * (τ = softplus(·) + MIN_STD) and, for the low-rank family, V's [hidden → H·r].
 */
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { defaultEncoderWidths, factorRank, type RunConfig } from '@entropy-sc/core/schema/run-config';

export type AmortizedFamily = 'diag' | 'lowrank';

export interface EncoderConfig {
  /** data dimension D */
  d: number;
  /** latents H */
  h: number;
  family: AmortizedFamily;
  /** rank r of the low-rank family */
  rank: number;
  /** width of the residual stream (default 2D) */
  hidden: number;
  /** width inside each residual block (default 3D) */
  inner: number;
  /** number of residual blocks (default 2) */
  blocks: number;
}

/** The floor of the posterior's standard deviations: τ = softplus(std head) + MIN_STD. */
export const MIN_STD = 1e-3;

export function defaultEncoderConfig(d: number, h: number, family: AmortizedFamily, rank = 5): EncoderConfig {
  return { d, h, family, rank, ...defaultEncoderWidths(d), blocks: 2 };
}

/**
 * The encoder that a run's configuration describes for rows of width `d` (null: non-amortized),
 * where the widths the run left open get their defaults. Training reads it here; what was built is
 * then recorded in the model card, which every later stage reads through `encoderConfigOfCard`.
 */
export function encoderConfigOf(config: RunConfig, d: number): EncoderConfig | null {
  if (!config.amortized || !config.encoder || config.posterior === 'full') return null;
  const defaults = defaultEncoderWidths(d);
  const { hidden, inner, blocks } = config.encoder;
  const family = config.posterior;
  return {
    d,
    h: config.latents,
    family,
    rank: factorRank(config.rank),
    hidden: hidden ?? defaults.hidden,
    inner: inner ?? defaults.inner,
    blocks,
  };
}

/** The encoder a model card describes (null: the model has none). */
export function encoderConfigOfCard(card: ModelCard): EncoderConfig | null {
  if (!card.amortized || !card.encoder || card.family === 'full') return null;
  return { d: card.d, h: card.h, family: card.family, rank: factorRank(card.rank), ...card.encoder };
}

/** Name prefixes of the encoder's layers (`<prefix>.weight`, `<prefix>.bias` in ONNX files and checkpoints). */
export const LAYER_NAMES = {
  input: 'encoder.input',
  expand: (block: number) => `encoder.block${block}.expand`,
  project: (block: number) => `encoder.block${block}.project`,
  mean: 'encoder.mean',
  std: 'encoder.std',
  factor: 'encoder.factor',
} as const;

export interface LayerShape {
  name: string;
  inputs: number;
  outputs: number;
}

/**
 * Every dense layer y = x·W + b, in the order of the encoder's variables (weight, then bias, of each;
 * checkpoints and the gradient graph's outputs rely on it): input, each block's expand and project,
 * the mean, std and (low-rank) factor heads.
 */
export function layerShapes(c: EncoderConfig): LayerShape[] {
  const { d, h, hidden, inner, rank } = c;
  const layers: LayerShape[] = [{ name: LAYER_NAMES.input, inputs: d, outputs: hidden }];
  for (let k = 0; k < c.blocks; k++)
    layers.push(
      { name: LAYER_NAMES.expand(k), inputs: hidden, outputs: inner },
      { name: LAYER_NAMES.project(k), inputs: inner, outputs: hidden },
    );
  layers.push(
    { name: LAYER_NAMES.mean, inputs: hidden, outputs: h },
    { name: LAYER_NAMES.std, inputs: hidden, outputs: h },
  );
  if (c.family === 'lowrank') layers.push({ name: LAYER_NAMES.factor, inputs: hidden, outputs: h * rank });
  return layers;
}
