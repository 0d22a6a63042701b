/**
 * Θ = (λ, W̃, σ²) of a trained model, frozen at its learned values, as every artifact reader
 * (run folder or ONNX file) returns it.
 */
export interface FrozenModel {
  /** W̃ [D, H] row-major, unit columns */
  dictionary: Float32Array;
  /** λ [H] */
  lambda: Float64Array;
  sigma2: number;
  d: number;
  h: number;
}
