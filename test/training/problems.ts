/**
 * Test problems for the L-BFGS suites: a seeded random SPD quadratic with its float64 minimiser,
 * Rosenbrock, and the backend setup shared by the tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';

/** Registers wasm, falling back to cpu. */
export async function useBackend(): Promise<string> {
  try {
    if (await tf.setBackend('wasm')) return 'wasm';
  } catch {
    // fall through to cpu
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

/** mulberry32: a small seeded uniform generator on [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Quadratic {
  n: number;
  /** row-major [n, n], symmetric positive definite */
  a: Float64Array;
  /** [n] */
  b: Float64Array;
  /** A⁻¹b [n], by Cholesky in float64 */
  minimizer: Float64Array;
  /** 0.5 x*ᵀAx* − bᵀx* */
  minimum: number;
}

/**
 * A = Q diag(λ) Qᵀ with Q from Gram-Schmidt on random vectors and λ log-spaced in [1, condition], or
 * cycling through `eigenvalues` when given.
 * @param n dimension
 */
export function randomQuadratic(n: number, condition: number, seed: number, eigenvalues?: number[]): Quadratic {
  const rand = seededRandom(seed);
  const q: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from({ length: n }, () => rand() * 2 - 1);
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= d * u[i]!;
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i]! /= norm;
    q.push(v);
  }
  const lambda = Array.from({ length: n }, (_, k) =>
    eigenvalues ? eigenvalues[k % eigenvalues.length]! : condition ** (n === 1 ? 0 : k / (n - 1)),
  );
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += lambda[k]! * q[k]![i]! * q[k]![j]!;
      a[i * n + j] = sum;
    }
  const b = Float64Array.from({ length: n }, () => rand() * 2 - 1);
  const minimizer = choleskySolve(a, b, n);
  let minimum = 0;
  for (let i = 0; i < n; i++) minimum -= 0.5 * b[i]! * minimizer[i]!;
  return { n, a, b, minimizer, minimum };
}

/** Solves A x = b for SPD A [n, n] in float64. */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(sum) : sum / l[j * n + j]!;
    }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * z[k]!;
    z[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/** 0.5 xᵀAx − bᵀx as a tfjs closure over x [n]. */
export function quadraticObjective(problem: Quadratic, x: tf.Variable): { f: () => tf.Scalar; dispose: () => void } {
  const a = tf.tensor2d(Float32Array.from(problem.a), [problem.n, problem.n], 'float32');
  const b = tf.tensor1d(Float32Array.from(problem.b), 'float32');
  const f = (): tf.Scalar =>
    tf.tidy(() => {
      const ax = tf.squeeze(tf.matMul(a, tf.reshape(x, [problem.n, 1])));
      return tf.sub(tf.mul(0.5, tf.sum(tf.mul(x, ax))), tf.sum(tf.mul(b, x))) as tf.Scalar;
    });
  return { f, dispose: () => tf.dispose([a, b]) };
}

/** Σ 100(x_{i+1} − x_i²)² + (1 − x_i)² over x [n]. */
export function rosenbrock(x: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const n = x.shape[0];
    const head = tf.slice(x, 0, n - 1);
    const tail = tf.slice(x, 1, n - 1);
    return tf.add(tf.sum(tf.mul(100, tf.square(tf.sub(tail, tf.square(head))))), tf.sum(tf.square(tf.sub(1, head))));
  });
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A variable from an initial value, without leaving the initial tensor behind. */
export function makeVariable<R extends tf.Rank>(
  init: () => tf.Tensor<R>,
  trainable = true,
  name?: string,
): tf.Variable<R> {
  return tf.tidy(() => tf.variable(init(), trainable, name));
}
