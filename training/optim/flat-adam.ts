/**
 * Adam's update (optim/adam.ts, PyTorch's rule) on flat float32 vectors of all parameters, in plain
 * JavaScript, for the learner whose gradients come from onnxruntime (learners/native-amortized-learner.ts). The arithmetic is
 * float64, rounded to float32 where values are stored (the moments, the parameters): within
 * rounding of adam.ts's float32 ops, deterministic, and about twice as fast as rounding every
 * intermediate (Math.fround) to reproduce adam.ts bit for bit.
 */

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** The parameters and Adam's moments as flat vectors [P]; variable i is elements offsets[i] … offsets[i + 1]. */
export interface FlatAdamState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  offsets: readonly number[];
}

/**
 * One step of maximising the objective, on the elements [from, to) (each element's update is
 * independent of the others', so disjoint ranges may run on different threads).
 * @param gradient ∂L/∂params [P]
 * @param step Adam's step count after this step (1 for the first)
 * @param rates learning rate of each variable
 */
export function adamStep(
  state: FlatAdamState,
  gradient: Float32Array,
  step: number,
  rates: readonly number[],
  from = 0,
  to = state.params.length,
): void {
  const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
  const { params, m, v, offsets } = state;
  const correction2 = Math.sqrt(1 - beta2 ** step);
  const [keep1, keep2, inverse2] = [1 - beta1, 1 - beta2, 1 / correction2];
  for (let variable = 0; variable < rates.length; variable++) {
    const scale = rates[variable]! / (1 - beta1 ** step);
    const end = Math.min(to, offsets[variable + 1]!);
    for (let i = Math.max(from, offsets[variable]!); i < end; i++) {
      const g = gradient[i]!; // adam.ts minimises −L: its gradient is −g, its first moment −mi
      const mi = beta1 * m[i]! - keep1 * g;
      const vi = beta2 * v[i]! + keep2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i]! - (scale * mi) / (Math.sqrt(vi) * inverse2 + epsilon);
    }
  }
}
