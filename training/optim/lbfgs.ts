/**
 * L-BFGS minimisation over TensorFlow.js variables (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * Algorithms 7.4 and 7.5), for the full-batch fits of the project (non-amortized posteriors, the
 * dictionary); callers maximise an ELBO by minimising its negative.
 *
 * The variables are viewed as one flat parameter vector. Values and gradients come from
 * `tf.variableGrads` and are copied to the JS side; the (s, y) history and the two-loop recursion live
 * in float64 there, and trial points are written back with `variable.assign`.
 *
 * tfjs computes in float32, so f is known only to a few ulps and x* only to about sqrt(eps·cond).
 * The change tolerance therefore defaults to float32's epsilon, and line searches stop looking for
 * decreases below it (a run that reaches that floor ends as 'change', converged). A line search that
 * fails otherwise is retried once along steepest descent with the history cleared before the run
 * ends as 'line-search'. The caller must have registered tfjs gradients (`training/backend/backend.ts` does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { strongWolfeLineSearch } from './line-search.ts';

export interface LbfgsOptions {
  /** Iterations (accepted line-search steps) allowed. Default 100. */
  maxIterations?: number;
  /** (s, y) pairs kept. Default 10. */
  historySize?: number;
  /** Stop when max_i |g_i| <= this. Default 1e-5. */
  gradientTolerance?: number;
  /**
   * Stop when |f_k - f_{k+1}| <= this · max(1, |f_k|), or when no step could decrease f by more than
   * that. Default 2^-23 (float32 epsilon, about one ulp of f): a float64-style 1e-9 is below float32
   * resolution and would never fire. 0 runs on until line searches fail.
   */
  changeTolerance?: number;
  /** Objective evaluations allowed per line search. Default 25. */
  maxLineSearchSteps?: number;
  /** Sufficient-decrease constant of the strong Wolfe conditions. Default 1e-4. */
  c1?: number;
  /** Curvature constant of the strong Wolfe conditions. Default 0.9. */
  c2?: number;
  /**
   * Called after each iteration, with the variables holding the new point (gradientNorm is
   * max_i |g_i|); returning false stops the run (reason 'callback').
   */
  onIteration?: (info: { iteration: number; value: number; gradientNorm: number }) => void | boolean;
}

export type LbfgsStopReason = 'gradient' | 'change' | 'max-iterations' | 'line-search' | 'non-finite' | 'callback';

export interface LbfgsResult {
  /** Objective at the returned point (the one the variables hold). */
  value: number;
  iterations: number;
  /** Objective-and-gradient evaluations, the initial one included. */
  evaluations: number;
  /** max_i |g_i| at the returned point. */
  gradientNorm: number;
  /** True when stopped by the gradient or change tolerance. */
  converged: boolean;
  reason: LbfgsStopReason;
}

const FLOAT32_EPSILON = 2 ** -23;
/** A pair is stored only when s·y > CURVATURE_EPS·|s|·|y|, which keeps the inverse Hessian positive definite. */
const CURVATURE_EPS = 1e-10;

/** The flat parameter vector: float32 values as the variables hold them. */
interface FlatPoint {
  x: Float32Array;
  value: number;
  gradient: Float64Array;
}

/** Ring buffer of the last m curvature pairs. */
class History {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho: number[] = [];
  private start = 0;
  private count = 0;
  gamma = 1;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
    this.gamma = 1;
  }

  /** Stores x_new - x_old and g_new - g_old unless the curvature condition fails; returns whether stored. */
  push(oldPoint: FlatPoint, newPoint: FlatPoint): boolean {
    if (this.capacity === 0) return false;
    const n = oldPoint.x.length;
    let sy = 0;
    let ss = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const si = newPoint.x[i]! - oldPoint.x[i]!;
      const yi = newPoint.gradient[i]! - oldPoint.gradient[i]!;
      sy += si * yi;
      ss += si * si;
      yy += yi * yi;
    }
    // Checked before writing: when full, the slot written next holds the oldest pair.
    if (!(sy > CURVATURE_EPS * Math.sqrt(ss * yy))) return false;
    const slot = (this.start + this.count) % this.capacity;
    if (this.s.length <= slot) {
      this.s.push(new Float64Array(n));
      this.y.push(new Float64Array(n));
      this.rho.push(0);
    }
    const s = this.s[slot]!;
    const y = this.y[slot]!;
    for (let i = 0; i < n; i++) {
      s[i] = newPoint.x[i]! - oldPoint.x[i]!;
      y[i] = newPoint.gradient[i]! - oldPoint.gradient[i]!;
    }
    this.rho[slot] = 1 / sy;
    this.gamma = sy / yy; // N&W eq. 7.20
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
    return true;
  }

  /** Two-loop recursion (N&W Algorithm 7.4). @param g gradient [n] @returns -H·g [n] */
  direction(g: Float64Array): Float64Array {
    const n = g.length;
    const q = Float64Array.from(g);
    const alpha = new Float64Array(this.count);
    for (let j = this.count - 1; j >= 0; j--) {
      const slot = (this.start + j) % this.capacity;
      const s = this.s[slot]!;
      const y = this.y[slot]!;
      const a = this.rho[slot]! * dot(s, q);
      alpha[j] = a;
      for (let i = 0; i < n; i++) q[i]! -= a * y[i]!;
    }
    for (let i = 0; i < n; i++) q[i]! *= this.gamma;
    for (let j = 0; j < this.count; j++) {
      const slot = (this.start + j) % this.capacity;
      const s = this.s[slot]!;
      const y = this.y[slot]!;
      const b = this.rho[slot]! * dot(y, q);
      const c = alpha[j]! - b;
      for (let i = 0; i < n; i++) q[i]! += c * s[i]!;
    }
    for (let i = 0; i < n; i++) q[i] = -q[i]!;
    return q;
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

function isAllFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** Reads, writes and evaluates the variables as one flat vector. */
class FlatView {
  private readonly offsets: number[] = [];
  readonly size: number;

  constructor(
    private readonly f: () => tf.Scalar,
    private readonly variables: tf.Variable[],
  ) {
    let offset = 0;
    for (const v of variables) {
      this.offsets.push(offset);
      offset += v.size;
    }
    this.size = offset;
  }

  read(): Float32Array {
    const x = new Float32Array(this.size);
    this.variables.forEach((v, k) => x.set(v.dataSync() as Float32Array, this.offsets[k]!));
    return x;
  }

  write(x: Float32Array): void {
    this.variables.forEach((v, k) => {
      const offset = this.offsets[k]!;
      const t = tf.tensor(x.subarray(offset, offset + v.size), v.shape, 'float32');
      v.assign(t);
      t.dispose();
    });
  }

  /** Objective and gradient at the point the variables hold now. */
  evaluate(): { value: number; gradient: Float64Array } {
    const { value, grads } = tf.variableGrads(this.f, this.variables);
    const gradient = new Float64Array(this.size);
    this.variables.forEach((v, k) => {
      const g = grads[v.name];
      if (g) gradient.set(g.dataSync(), this.offsets[k]!); // a variable f ignores gets no gradient: zero
    });
    const result = value.dataSync()[0]!;
    value.dispose();
    for (const name of Object.keys(grads)) grads[name]?.dispose();
    return { value: result, gradient };
  }
}

function validate(variables: tf.Variable[]): void {
  if (variables.length === 0) throw new Error('minimizeLbfgs needs at least one variable');
  const names = new Set<string>();
  for (const v of variables) {
    if (v.dtype !== 'float32') throw new Error(`minimizeLbfgs needs float32 variables, but ${v.name} is ${v.dtype}`);
    if (!v.trainable) throw new Error(`minimizeLbfgs needs trainable variables, but ${v.name} is not trainable`);
    if (names.has(v.name)) throw new Error(`minimizeLbfgs got variable ${v.name} twice`);
    names.add(v.name);
  }
}

/**
 * Minimises f over the variables with L-BFGS and a strong-Wolfe line search. On return the variables
 * hold the best point found, never a worse one than the start; a non-finite start leaves them untouched.
 * @param f scalar objective reading the variables (called under `tf.variableGrads`)
 * @param variables trainable float32 variables of any shapes, viewed as one vector [n]
 */
export function minimizeLbfgs(f: () => tf.Scalar, variables: tf.Variable[], options: LbfgsOptions = {}): LbfgsResult {
  validate(variables);
  const maxIterations = options.maxIterations ?? 100;
  const gradientTolerance = options.gradientTolerance ?? 1e-5;
  const changeTolerance = options.changeTolerance ?? FLOAT32_EPSILON;
  const maxLineSearchSteps = options.maxLineSearchSteps ?? 25;
  const history = new History(options.historySize ?? 10);
  const view = new FlatView(f, variables);

  let evaluations = 1;
  let current: FlatPoint = { x: view.read(), ...view.evaluate() };
  let held = current.x; // the point the variables hold
  const hold = (x: Float32Array): void => {
    if (held !== x) view.write(x);
    held = x;
  };
  let gradientNorm = maxAbs(current.gradient);
  let iterations = 0;
  const finish = (reason: LbfgsStopReason): LbfgsResult => ({
    value: current.value,
    iterations,
    evaluations,
    gradientNorm,
    converged: reason === 'gradient' || reason === 'change',
    reason,
  });
  if (!Number.isFinite(current.value) || !isAllFinite(current.gradient)) return finish('non-finite');

  try {
    for (;;) {
      if (gradientNorm <= gradientTolerance) return finish('gradient');
      if (iterations >= maxIterations) return finish('max-iterations');

      const smallestChange = changeTolerance * Math.max(1, Math.abs(current.value));
      const next = lineSearch(current, smallestChange);
      if (next === 'negligible') return finish('change');
      if (next === 'failed') return finish('line-search');

      history.push(current, next);
      const change = Math.abs(current.value - next.value);
      current = next;
      gradientNorm = maxAbs(current.gradient);
      iterations++;
      hold(current.x); // before the callback, which may read the variables
      if (options.onIteration?.({ iteration: iterations, value: current.value, gradientNorm }) === false) {
        return finish('callback');
      }
      if (change <= smallestChange) return finish('change');
    }
  } finally {
    hold(current.x); // also when f or the callback throws
  }

  /**
   * One accepted step from `from`, trying the L-BFGS direction and, if that fails, steepest descent
   * with the history cleared. Without an accepted step: 'negligible' when the last search gave up
   * because the steps left could not change f by more than `minChange` (what the change test would
   * stop on anyway; in float32 this is how runs reach their precision floor), else 'failed'.
   * Leaves trial points in the variables.
   */
  function lineSearch(from: FlatPoint, minChange: number): FlatPoint | 'negligible' | 'failed' {
    for (;;) {
      const steepest = history.size === 0;
      const p = steepest ? from.gradient.map((g) => -g) : history.direction(from.gradient);
      const slope0 = dot(from.gradient, p);
      if (!(slope0 < 0) && !steepest) {
        history.clear(); // rounding made -H·g no descent direction
        continue;
      }
      if (!(slope0 < 0)) return 'failed';
      // Without curvature information the first trial step has length min(|g|, 1) (N&W §3.5 / §7.2).
      const initialStep = steepest ? Math.min(1, 1 / Math.sqrt(-slope0)) : 1;
      const result = strongWolfeLineSearch<FlatPoint>(
        (step) => {
          const x = new Float32Array(from.x.length);
          let moved = false;
          for (let i = 0; i < x.length; i++) {
            x[i] = from.x[i]! + step * p[i]!;
            moved ||= x[i] !== from.x[i];
          }
          // The line search stops on a point identical to the start; no need to evaluate it.
          if (!moved) return { value: from.value, slope: slope0, payload: from };
          hold(x);
          evaluations++;
          const { value, gradient } = view.evaluate();
          const payload = { x, value, gradient };
          if (!Number.isFinite(value) || !isAllFinite(gradient))
            return { value: Number.NaN, slope: Number.NaN, payload };
          return { value, slope: dot(gradient, p), payload };
        },
        from.value,
        slope0,
        { initialStep, c1: options.c1, c2: options.c2, maxEvaluations: maxLineSearchSteps, valueTolerance: minChange },
      );
      if (result.point !== null && result.point.payload.value < from.value) return result.point.payload;
      if (steepest) return result.status === 'negligible' ? 'negligible' : 'failed';
      history.clear();
    }
  }
}
