/**
 * minimizeLbfgs on problems with known minimisers (SPD quadratics, Rosenbrock), against plain gradient
 * descent, with non-finite regions and starts, several variables, stopping rules and tensor hygiene.
 * Tolerances are float32-sized: tfjs computes objective and gradient in float32.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimizeLbfgs } from '../../../training/optim/lbfgs.ts';
import {
  makeVariable,
  maxAbsDifference,
  quadraticObjective,
  randomQuadratic,
  rosenbrock,
  useBackend,
} from '../problems.ts';

let tensorsAtStart = 0;
beforeAll(async () => {
  await useBackend();
  tensorsAtStart = tf.memory().numTensors;
});
afterAll(() => {
  // Every test disposes what it made, so the whole file must end where it started.
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
});

function scalarValue(f: () => tf.Scalar): number {
  return tf.tidy(() => f().dataSync()[0]!);
}

function rosenbrockStart(n: number): tf.Variable<tf.Rank.R1> {
  return makeVariable(() => tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1))));
}

describe('minimizeLbfgs on quadratics', () => {
  it('reaches A⁻¹b of a random SPD quadratic (n=30, condition 100)', () => {
    const problem = randomQuadratic(30, 100, 1);
    const x = makeVariable(() => tf.zeros([30]));
    const { f, dispose } = quadraticObjective(problem, x);
    const result = minimizeLbfgs(f, [x]);
    expect(result.converged).toBe(true);
    // f is known to a few float32 ulps, so x* only to about sqrt(eps·condition)
    expect(maxAbsDifference(x.dataSync(), problem.minimizer)).toBeLessThan(2e-3);
    expect(Math.abs(result.value - problem.minimum)).toBeLessThan(1e-5 * Math.max(1, Math.abs(problem.minimum)));
    expect(scalarValue(f)).toBe(result.value);
    dispose();
    x.dispose();
  });

  it('converges in about as many iterations as A has distinct eigenvalues with a near-exact line search', () => {
    // With exact line searches BFGS on a quadratic terminates after at most (number of distinct
    // eigenvalues) steps; c2 = 0.1 and the cubic interpolation come close to exact.
    const problem = randomQuadratic(30, 1, 2, [1, 3, 9]);
    const x = makeVariable(() => tf.zeros([30]));
    const { f, dispose } = quadraticObjective(problem, x);
    const result = minimizeLbfgs(f, [x], { c2: 0.1, gradientTolerance: 1e-4 });
    expect(result.reason).toBe('gradient');
    expect(result.iterations).toBeLessThanOrEqual(5);
    expect(maxAbsDifference(x.dataSync(), problem.minimizer)).toBeLessThan(1e-4);
    dispose();
    x.dispose();
  });

  it('solves an isotropic quadratic in one iteration', () => {
    const problem = randomQuadratic(20, 1, 3, [2]);
    const x = makeVariable(() => tf.zeros([20]));
    const { f, dispose } = quadraticObjective(problem, x);
    const result = minimizeLbfgs(f, [x], { c2: 0.1, gradientTolerance: 1e-4 });
    expect(result).toMatchObject({ reason: 'gradient', iterations: 1, converged: true });
    expect(maxAbsDifference(x.dataSync(), problem.minimizer)).toBeLessThan(1e-5);
    dispose();
    x.dispose();
  });

  it('works with short histories (ring buffer wrapping) and with none (steepest descent)', () => {
    const problem = randomQuadratic(30, 10, 5);
    for (const historySize of [0, 1, 3]) {
      const x = makeVariable(() => tf.zeros([30]));
      const { f, dispose } = quadraticObjective(problem, x);
      const result = minimizeLbfgs(f, [x], { historySize, maxIterations: 500 });
      expect(result.converged, `historySize ${historySize}`).toBe(true);
      expect(maxAbsDifference(x.dataSync(), problem.minimizer)).toBeLessThan(2e-3);
      dispose();
      x.dispose();
    }
  });

  it('needs far fewer evaluations than gradient descent with step 1/L on an ill-conditioned quadratic', () => {
    const n = 20;
    const problem = randomQuadratic(n, 100, 4);
    const target = problem.minimum + 1e-5 * Math.max(1, Math.abs(problem.minimum));

    const x = makeVariable(() => tf.zeros([n]));
    const { f, dispose } = quadraticObjective(problem, x);
    let calls = 0;
    let lbfgsEvaluations = Number.POSITIVE_INFINITY;
    const counted = (): tf.Scalar => {
      calls++;
      return f();
    };
    minimizeLbfgs(counted, [x], {
      changeTolerance: 0,
      onIteration: ({ value }) => {
        if (value <= target) lbfgsEvaluations = Math.min(lbfgsEvaluations, calls);
      },
    });
    dispose();
    x.dispose();

    // Plain gradient descent in float64 (kinder to it than float32): x ← x − (Ax − b)/λmax.
    const { a, b } = problem;
    const xs = new Float64Array(n);
    const valueAt = (v: Float64Array): number => {
      let value = 0;
      for (let i = 0; i < n; i++) {
        let ax = 0;
        for (let j = 0; j < n; j++) ax += a[i * n + j]! * v[j]!;
        value += 0.5 * v[i]! * ax - b[i]! * v[i]!;
      }
      return value;
    };
    let gdEvaluations = 0;
    while (valueAt(xs) > target && gdEvaluations < 100_000) {
      gdEvaluations++;
      const g = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let ax = 0;
        for (let j = 0; j < n; j++) ax += a[i * n + j]! * xs[j]!;
        g[i] = ax - b[i]!;
      }
      for (let i = 0; i < n; i++) xs[i]! -= g[i]! / 100;
    }
    expect(lbfgsEvaluations).toBeLessThan(60);
    expect(gdEvaluations).toBeGreaterThan(5 * lbfgsEvaluations);
  });
});

describe('minimizeLbfgs on Rosenbrock', () => {
  for (const n of [2, 10]) {
    it(`reaches (1, …, 1) in ${n} dimensions from (-1.2, 1, …)`, () => {
      const x = rosenbrockStart(n);
      const result = minimizeLbfgs(() => rosenbrock(x), [x], { maxIterations: 200 });
      expect(result.converged).toBe(true);
      expect(result.value).toBeLessThan(1e-7);
      expect(maxAbsDifference(x.dataSync(), new Float32Array(n).fill(1))).toBeLessThan(1e-3);
      x.dispose();
    });
  }
});

describe('minimizeLbfgs with non-finite values', () => {
  // An ill-conditioned quadratic with minimiser c (|c| ≈ 0.79) that is NaN, value and gradient,
  // outside the ball of radius 0.85: 0·sqrt(R² − |x|²) is 0 inside and NaN outside.
  const n = 10;
  const radius = 0.85;
  const weights = Array.from({ length: n }, (_, i) => 100 ** (i / (n - 1)));
  const centre = new Array<number>(n).fill(0.25);
  const objective = (x: tf.Variable, onCall?: (inside: boolean) => void) => (): tf.Scalar => {
    if (onCall) onCall(Array.from(x.dataSync()).reduce((s, v) => s + v * v, 0) < radius * radius);
    return tf.tidy(() => {
      const quadratic = tf.sum(tf.mul(tf.tensor1d(weights), tf.square(tf.sub(x, tf.tensor1d(centre)))));
      const barrier = tf.mul(0, tf.sqrt(tf.sub(radius * radius, tf.sum(tf.square(x)))));
      return tf.add(tf.mul(0.5, quadratic), barrier) as tf.Scalar;
    });
  };

  it('backtracks out of a region where the objective is NaN and still converges', () => {
    const x = makeVariable(() => tf.zeros([n]));
    let outside = 0;
    const result = minimizeLbfgs(
      objective(x, (inside) => (outside += inside ? 0 : 1)),
      [x],
    );
    expect(outside).toBeGreaterThan(0); // the test did exercise the NaN region
    expect(result.converged).toBe(true);
    expect(Number.isFinite(result.value)).toBe(true);
    expect(maxAbsDifference(x.dataSync(), centre)).toBeLessThan(1e-3);
    x.dispose();
  });

  it("returns 'non-finite' and leaves the variables untouched when the start is non-finite", () => {
    const start = new Float32Array(n).fill(0.5); // |x| ≈ 1.58 > radius
    const x = makeVariable(() => tf.tensor1d(start));
    const result = minimizeLbfgs(objective(x), [x]);
    expect(result).toMatchObject({ reason: 'non-finite', converged: false, iterations: 0, evaluations: 1 });
    expect(Array.from(x.dataSync())).toEqual(Array.from(start));
    x.dispose();
  });
});

describe('minimizeLbfgs stopping rules and bookkeeping', () => {
  it('respects maxIterations and reports every iteration to onIteration', () => {
    const x = rosenbrockStart(2);
    const start = scalarValue(() => rosenbrock(x));
    const seen: number[] = [];
    const result = minimizeLbfgs(() => rosenbrock(x), [x], {
      maxIterations: 5,
      onIteration: ({ iteration, value }) => {
        seen.push(iteration);
        expect(value).toBe(scalarValue(() => rosenbrock(x))); // the variables hold the reported point
      },
    });
    expect(result).toMatchObject({ reason: 'max-iterations', iterations: 5, converged: false });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(result.value).toBeLessThan(start);
    expect(result.evaluations).toBeGreaterThanOrEqual(6);

    const none = minimizeLbfgs(() => rosenbrock(x), [x], { maxIterations: 0 });
    expect(none).toMatchObject({ reason: 'max-iterations', iterations: 0, evaluations: 1, value: result.value });
    x.dispose();
  });

  it('stops when onIteration returns false', () => {
    const x = rosenbrockStart(2);
    const result = minimizeLbfgs(() => rosenbrock(x), [x], { onIteration: ({ iteration }) => iteration < 3 });
    expect(result).toMatchObject({ reason: 'callback', iterations: 3, converged: false });
    x.dispose();
  });

  it('leaves the best point in the variables when the objective throws', () => {
    const x = rosenbrockStart(2);
    let calls = 0;
    let best = Number.POSITIVE_INFINITY;
    expect(() =>
      minimizeLbfgs(
        () => {
          if (++calls === 12) throw new Error('boom');
          return rosenbrock(x);
        },
        [x],
        { onIteration: ({ value }) => void (best = value) },
      ),
    ).toThrow('boom');
    expect(scalarValue(() => rosenbrock(x))).toBe(best);
    x.dispose();
  });

  it('optimises several variables of different shapes as one vector', () => {
    // |x − t|² + (Σx)² over x = (W [3,4], b [4], s []): minimiser x = t − (Σt / (n + 1))·1, n = 17.
    const targetW = Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const targetB = [0.5, -1, 2, 0.25];
    const targetS = 2;
    const w = makeVariable(() => tf.zeros([3, 4]));
    const b = makeVariable(() => tf.zeros([4]));
    const s = makeVariable(() => tf.scalar(0));
    const unused = makeVariable(() => tf.tensor1d([7, 8])); // f ignores it: zero gradient, left as it is
    const tw = tf.tensor2d(targetW, [3, 4]);
    const tb = tf.tensor1d(targetB);
    const f = (): tf.Scalar =>
      tf.tidy(() => {
        const distance = tf.addN([
          tf.sum(tf.square(tf.sub(w, tw))),
          tf.sum(tf.square(tf.sub(b, tb))),
          tf.square(tf.sub(s, targetS)),
        ]);
        return tf.add(distance, tf.square(tf.addN([tf.sum(w), tf.sum(b), s]))) as tf.Scalar;
      });
    const result = minimizeLbfgs(f, [w, b, s, unused], { gradientTolerance: 1e-5 });
    expect(result.converged).toBe(true);
    const shift = (targetW.reduce((u, v) => u + v, 0) + targetB.reduce((u, v) => u + v, 0) + targetS) / 18;
    expect(w.shape).toEqual([3, 4]);
    expect(s.shape).toEqual([]);
    expect(
      maxAbsDifference(
        w.dataSync(),
        targetW.map((v) => v - shift),
      ),
    ).toBeLessThan(1e-4);
    expect(
      maxAbsDifference(
        b.dataSync(),
        targetB.map((v) => v - shift),
      ),
    ).toBeLessThan(1e-4);
    expect(Math.abs(s.dataSync()[0]! - (targetS - shift))).toBeLessThan(1e-4);
    expect(Array.from(unused.dataSync())).toEqual([7, 8]);
    tf.dispose([w, b, s, unused, tw, tb]);
  });

  it('rejects variables it cannot optimise, naming them', () => {
    const ints = makeVariable(() => tf.tensor1d([1, 2], 'int32'), true, 'counts');
    const frozen = makeVariable(() => tf.zeros([2]), false, 'frozen');
    expect(() => minimizeLbfgs(() => tf.sum(ints), [ints])).toThrow(/counts is int32/);
    expect(() => minimizeLbfgs(() => tf.sum(frozen), [frozen])).toThrow(/frozen is not trainable/);
    expect(() => minimizeLbfgs(() => tf.scalar(0), [])).toThrow(/at least one variable/);
    tf.dispose([ints, frozen]);
  });
});

describe('minimizeLbfgs memory', () => {
  it('leaks no tensors, whatever the stopping reason', () => {
    const x = rosenbrockStart(4);
    const y = makeVariable(() => tf.zeros([2, 2]));
    const f = (): tf.Scalar => tf.tidy(() => tf.add(rosenbrock(x), tf.sum(tf.square(tf.sub(y, 1)))) as tf.Scalar);
    const count = tf.memory().numTensors;
    minimizeLbfgs(f, [x, y], { maxIterations: 3 });
    expect(tf.memory().numTensors).toBe(count);
    minimizeLbfgs(f, [x, y], { onIteration: () => false });
    expect(tf.memory().numTensors).toBe(count);
    const result = minimizeLbfgs(f, [x, y], { changeTolerance: 0, gradientTolerance: 0 }); // runs into the float32 floor
    expect(['line-search', 'max-iterations', 'gradient']).toContain(result.reason);
    expect(tf.memory().numTensors).toBe(count);
    const nan = makeVariable(() => tf.scalar(Number.NaN));
    const count2 = tf.memory().numTensors;
    expect(minimizeLbfgs(() => tf.square(nan) as tf.Scalar, [nan]).reason).toBe('non-finite');
    expect(tf.memory().numTensors).toBe(count2);
    tf.dispose([x, y, nan]);
  });
});
