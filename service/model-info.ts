/**
 * What the service knows of the model it serves, as the encode workers report it: the card, the
 * input width and each output's shape per row. The main thread never loads onnxruntime itself.
 */
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';

import type { Tensor } from '@entropy-sc/inference/model';

export type { Tensor };

/** Outputs of one encode call, each [rows, ...shape per row]. */
export type Outputs = Partial<Record<OutputName, Tensor>>;

export interface ModelInfo {
  card: ModelCard;
  /** input width D of x [rows, D] */
  d: number;
  h: number;
  /** the outputs the model file offers, in the contract's order */
  outputs: readonly OutputName[];
  /** each offered output's shape without the batch axis (mean [H], elbo [], cov_factor [H, r]) */
  rowShapes: Partial<Record<OutputName, number[]>>;
}
