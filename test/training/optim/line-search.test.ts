/**
 * The strong-Wolfe line search on one-dimensional functions with known behaviour: the Moré-Thuente
 * (1994) test functions, quadratics where interpolation is exact, non-finite regions and hopeless
 * directions.
 */
import { describe, expect, it } from 'vitest';
import { cubicMinimizer, strongWolfeLineSearch, type LineSearchResult } from '../../../training/optim/line-search.ts';

interface Phi {
  name: string;
  value: (a: number) => number;
  slope: (a: number) => number;
}

/** Yanai, Ozawa and Kaneko's functions, as used by Moré & Thuente (functions 4-6). */
function yanai(b1: number, b2: number): Phi {
  const gamma = (b: number): number => Math.sqrt(1 + b * b) - b;
  const g1 = gamma(b1);
  const g2 = gamma(b2);
  return {
    name: `yanai(${b1}, ${b2})`,
    value: (a) => g1 * Math.sqrt((1 - a) ** 2 + b2 * b2) + g2 * Math.sqrt(a * a + b1 * b1),
    slope: (a) => (g1 * (a - 1)) / Math.sqrt((1 - a) ** 2 + b2 * b2) + (g2 * a) / Math.sqrt(a * a + b1 * b1),
  };
}

const BETA = 0.01;
const L = 39;
const phi0 = (a: number): number =>
  a <= 1 - BETA ? 1 - a : a >= 1 + BETA ? a - 1 : (a - 1) ** 2 / (2 * BETA) + BETA / 2;
const dphi0 = (a: number): number => (a <= 1 - BETA ? -1 : a >= 1 + BETA ? 1 : (a - 1) / BETA);

const moreThuente: Phi[] = [
  { name: '-a/(a²+2)', value: (a) => -a / (a * a + 2), slope: (a) => (a * a - 2) / (a * a + 2) ** 2 },
  {
    name: '(a+0.004)⁵ - 2(a+0.004)⁴',
    value: (a) => (a + 0.004) ** 5 - 2 * (a + 0.004) ** 4,
    slope: (a) => 5 * (a + 0.004) ** 4 - 8 * (a + 0.004) ** 3,
  },
  {
    name: 'wiggly (l=39, β=0.01)',
    value: (a) => phi0(a) + ((2 * (1 - BETA)) / (L * Math.PI)) * Math.sin((L * Math.PI * a) / 2),
    slope: (a) => dphi0(a) + (1 - BETA) * Math.cos((L * Math.PI * a) / 2),
  },
  yanai(0.001, 0.001),
  yanai(0.01, 0.001),
  yanai(0.001, 0.01),
];

function search(phi: Phi, initialStep: number, c1: number, c2: number, maxEvaluations = 25): LineSearchResult<number> {
  return strongWolfeLineSearch(
    (a) => ({ value: phi.value(a), slope: phi.slope(a), payload: a }),
    phi.value(0),
    phi.slope(0),
    {
      initialStep,
      c1,
      c2,
      maxEvaluations,
    },
  );
}

describe('cubicMinimizer', () => {
  it('finds the minimiser of a cubic from two points, in either order', () => {
    // a³ - 3a: local minimum at 1
    const f = (a: number): number => a ** 3 - 3 * a;
    const df = (a: number): number => 3 * a * a - 3;
    expect(cubicMinimizer(0, f(0), df(0), 3, f(3), df(3))).toBeCloseTo(1, 12);
    expect(cubicMinimizer(3, f(3), df(3), -0.5, f(-0.5), df(-0.5))).toBeCloseTo(1, 12);
  });

  it('is exact on a quadratic and NaN where there is no minimiser', () => {
    const f = (a: number): number => (a - 3) ** 2;
    expect(cubicMinimizer(0, f(0), -6, 1, f(1), -4)).toBeCloseTo(3, 12);
    expect(cubicMinimizer(0, 0, 2, 1, 1, 2)).toBeNaN(); // increasing cubic: d1² - da·db < 0
  });
});

describe('strongWolfeLineSearch', () => {
  const cases = [
    { c1: 1e-4, c2: 0.9 },
    { c1: 1e-3, c2: 0.1 },
  ];
  for (const { c1, c2 } of cases) {
    for (const phi of moreThuente) {
      it(`satisfies the strong Wolfe conditions on ${phi.name} (c1=${c1}, c2=${c2}) from every initial step`, () => {
        const value0 = phi.value(0);
        const slope0 = phi.slope(0);
        for (const initialStep of [1e-3, 1e-1, 1e1, 1e3]) {
          const result = search(phi, initialStep, c1, c2);
          expect(result.status, `initial step ${initialStep}`).toBe('wolfe');
          const a = result.point!.step;
          expect(result.point!.payload).toBe(a);
          expect(phi.value(a)).toBeLessThanOrEqual(value0 + c1 * a * slope0);
          expect(Math.abs(phi.slope(a))).toBeLessThanOrEqual(c2 * Math.abs(slope0));
          expect(result.evaluations).toBeLessThanOrEqual(25);
        }
      });
    }
  }

  it('accepts the first step when it already satisfies both conditions', () => {
    const phi: Phi = { name: '(a-3)²', value: (a) => (a - 3) ** 2, slope: (a) => 2 * (a - 3) };
    const result = search(phi, 1, 1e-4, 0.9);
    expect(result).toMatchObject({ status: 'wolfe', evaluations: 1 });
    expect(result.point!.step).toBe(1);
  });

  it('lands on the exact minimiser of a quadratic by cubic interpolation, from both sides', () => {
    const phi: Phi = { name: '(a-3)²', value: (a) => (a - 3) ** 2, slope: (a) => 2 * (a - 3) };
    const extrapolated = search(phi, 1, 1e-4, 0.01);
    expect(extrapolated.status).toBe('wolfe');
    expect(extrapolated.point!.step).toBeCloseTo(3, 10);
    expect(extrapolated.evaluations).toBe(2);
    const interpolated = search(phi, 10, 1e-4, 0.01);
    expect(interpolated.status).toBe('wolfe');
    expect(interpolated.point!.step).toBeCloseTo(3, 10);
    expect(interpolated.evaluations).toBe(2);
  });

  it('backtracks out of a non-finite region instead of accepting or interpolating through it', () => {
    const trials: number[] = [];
    const result = strongWolfeLineSearch(
      (a) => {
        trials.push(a);
        if (a >= 0.5) return { value: Number.NaN, slope: Number.NaN, payload: a };
        return { value: (a - 3) ** 2, slope: 2 * (a - 3), payload: a };
      },
      9,
      -6,
      { initialStep: 1 },
    );
    expect(result.status).toBe('wolfe');
    const a = result.point!.step;
    expect(a).toBeLessThan(0.5);
    expect(Number.isFinite(result.point!.value)).toBe(true);
    expect(trials.filter((t) => t >= 0.5).length).toBeGreaterThan(0);
    expect(Math.abs(2 * (a - 3))).toBeLessThanOrEqual(0.9 * 6);
  });

  it('handles non-finite trial points inside the zoom phase', () => {
    // (a-2)², but +Infinity on (1, 6): the first trial, 8, fails sufficient decrease and the zoom's
    // interpolated step, the true minimiser 2, lands in the bad region.
    const value = (a: number): number => (a > 1 && a < 6 ? Number.POSITIVE_INFINITY : (a - 2) ** 2);
    const trials: number[] = [];
    const result = strongWolfeLineSearch(
      (a) => {
        trials.push(a);
        return { value: value(a), slope: 2 * (a - 2), payload: a };
      },
      4,
      -4,
      { initialStep: 8 },
    );
    expect(trials.slice(0, 2)).toEqual([8, 2]);
    expect(result.status).toBe('wolfe');
    const a = result.point!.step;
    expect(a).toBeLessThanOrEqual(1);
    expect(value(a)).toBeLessThanOrEqual(4 - 1e-4 * a * 4);
    expect(Math.abs(2 * (a - 2))).toBeLessThanOrEqual(0.9 * 4);
  });

  it('fails without a point when no step decreases the function, within the evaluation budget', () => {
    // The claimed slope is negative, but phi rises immediately (a wrong gradient).
    let calls = 0;
    const result = strongWolfeLineSearch(
      (a) => {
        calls++;
        return { value: 1 + a, slope: 1, payload: a };
      },
      1,
      -1,
      { initialStep: 1, maxEvaluations: 12 },
    );
    expect(result).toEqual({ status: 'failed', point: null, evaluations: 12 });
    expect(calls).toBe(12);
  });

  it("gives up early ('negligible') once the steps left could not decrease phi by more than valueTolerance", () => {
    const trials: number[] = [];
    const result = strongWolfeLineSearch(
      (a) => {
        trials.push(a);
        return { value: 1 + a, slope: 1, payload: a };
      },
      1,
      -1,
      { initialStep: 1, valueTolerance: 0.05 },
    );
    expect(result).toEqual({ status: 'negligible', point: null, evaluations: trials.length });
    expect(trials.length).toBeLessThan(6);
    expect(Math.min(...trials)).toBeGreaterThan(0.05); // never probed a step whose gain could only be negligible
  });

  it('returns the best sufficient-decrease point when the budget runs out before the curvature condition holds', () => {
    // Linear descent: sufficient decrease everywhere, the slope never flattens.
    const result = strongWolfeLineSearch((a) => ({ value: -a, slope: -1, payload: a }), 0, -1, {
      initialStep: 1,
      maxEvaluations: 4,
    });
    expect(result.status).toBe('sufficient-decrease');
    expect(result.point!.step).toBeGreaterThan(1);
    expect(result.evaluations).toBe(4);
  });

  it('never steps past maxStep', () => {
    const result = strongWolfeLineSearch((a) => ({ value: -a, slope: -1, payload: a }), 0, -1, {
      initialStep: 1,
      maxStep: 3,
    });
    expect(result.status).toBe('sufficient-decrease');
    expect(result.point!.step).toBeLessThanOrEqual(3);
  });

  it('stops at once on a step that does not move the point', () => {
    // A caller in limited precision reports phi(0), phi'(0) exactly for steps too short to matter.
    const result = strongWolfeLineSearch(
      (a) => (a < 1e-3 ? { value: 0, slope: -1, payload: a } : { value: 1, slope: 1, payload: a }),
      0,
      -1,
      { initialStep: 1 },
    );
    expect(result.status).toBe('failed');
    expect(result.evaluations).toBeLessThan(10);
  });

  it('rejects invalid arguments', () => {
    const ok = (a: number): { value: number; slope: number; payload: number } => ({ value: a, slope: 1, payload: a });
    expect(() => strongWolfeLineSearch(ok, 0, 1, { initialStep: 1 })).toThrow(/descent direction/);
    expect(() => strongWolfeLineSearch(ok, 0, -1, { initialStep: 1, c1: 0.5, c2: 0.4 })).toThrow(/c1 < c2/);
    expect(() => strongWolfeLineSearch(ok, Number.NaN, -1, { initialStep: 1 })).toThrow(/finite/);
    expect(() => strongWolfeLineSearch(ok, 0, -1, { initialStep: 0 })).toThrow(/initialStep/);
  });
});
