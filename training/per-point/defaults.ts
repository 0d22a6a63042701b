/**
 * Defaults of non-amortized fitting that depend on the data: the posteriors' starting spread and the
 * s₀ of their parameterisation (posterior-variables.ts), and when all points fit in one L-BFGS problem.
 */
import { pointSizes, type PointLayout } from './posterior-variables.ts';

/**
 * Per-point parameter values up to which all points are optimised as one L-BFGS problem (the joint
 * learner, one-shot dictionary scoring); L-BFGS keeps about 2·10 float64 vectors of this length.
 */
export const JOINT_LIMIT = 1_000_000;

/** Whether N points of this layout fit in one L-BFGS problem. */
export function fitsJointly(n: number, layout: Omit<PointLayout, 'spreadScale'>): boolean {
  return n * pointSizes(layout).reduce((a, b) => a + b, 0) <= JOINT_LIMIT;
}

/**
 * Starting spread 0.05·rms(x) and s₀ = 0.005·rms(x): posterior spreads are of the order of the noise,
 * well below the data's scale, and s₀ must lie below them (on bars, rms(x) ≈ 2: 0.1 and 0.01).
 * @param x data [N, D]
 */
export function spreadDefaults(x: Float32Array): { initialStd: number; spreadScale: number } {
  let sum = 0;
  for (const v of x) sum += v * v;
  const rms = Math.sqrt(sum / Math.max(1, x.length)) || 1;
  return { initialStd: 0.05 * rms, spreadScale: 0.005 * rms };
}
