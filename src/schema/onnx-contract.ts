/**
 * The ONNX contract of cli.md (`export`): what an exported encoder's file holds, shared by the
 * exporter (training) and the loader (inference), which may not depend on each other.
 */

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** the one input: rows x [batch, D], float32, symbolic batch */
export const INPUT_NAME = 'x';
/** the symbolic batch dimension's name on every input and output */
export const BATCH_DIM = 'batch';

/** Every output an encoder can offer, in the order of cli.md (`whitened`: image models only). */
export const OUTPUT_NAMES = [
  'mean',
  'variance',
  'elbo',
  'reconstruction',
  'whitened',
  'cov_factor',
  'cov_diag',
  'covariance',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export function isOutputName(name: string): name is OutputName {
  return (OUTPUT_NAMES as readonly string[]).includes(name);
}

/** Named initializers holding Θ: W̃ [D, H] (unit columns), λ [H], σ² []. */
export const INITIALIZER_NAMES = {
  dictionary: 'dictionary',
  priorScales: 'prior_scales',
  noiseVariance: 'noise_variance',
} as const;

/** The `metadata_props` key whose value is the model card as JSON. */
export const MODEL_CARD_KEY = 'entropy_sc.model_card';
/** ONNX's standard metadata keys. */
export const MODEL_AUTHOR_KEY = 'model_author';
export const MODEL_LICENSE_KEY = 'model_license';
