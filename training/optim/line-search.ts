/**
 * Strong-Wolfe line search on a one-dimensional restriction phi(step) = f(x + step·p), used by
 * L-BFGS (`lbfgs.ts`). Bracketing phase and zoom follow Nocedal & Wright, Numerical Optimization
 * (2nd ed.), Algorithms 3.5 and 3.6, with safeguarded cubic interpolation (eq. 3.59).
 *
 * Additions to the textbook algorithm:
 * - a non-finite value or slope at a trial step is treated as "too far": the search backtracks
 *   towards the last finite point instead of accepting or interpolating through it;
 * - the zoom bisects when interpolation stalls (Moré & Thuente's interval-reduction safeguard);
 * - for callers in limited precision (tfjs is float32): ties in phi count as progress, a step that
 *   returns exactly phi(0) and phi'(0) ends the search (the point did not move), and `valueTolerance`
 *   ends a search that could only find decreases too small to matter;
 * - when the evaluation budget runs out, the best point satisfying sufficient decrease found so far is
 *   returned (status 'sufficient-decrease') rather than nothing.
 *
 * Framework-free: the caller's `evaluate` does the tensor work and may attach a payload (the trial
 * point and its gradient) that is handed back with the accepted step.
 */

/** One evaluated step: phi(step), phi'(step) and whatever the caller attached. */
export interface LinePoint<T> {
  step: number;
  value: number;
  slope: number;
  payload: T;
}

export interface LineSearchOptions {
  /** Step tried first (> 0). */
  initialStep: number;
  /** Sufficient-decrease constant, 0 < c1 < c2. Default 1e-4. */
  c1?: number;
  /** Curvature constant, c1 < c2 < 1. Default 0.9. */
  c2?: number;
  /** Evaluations allowed, non-finite ones included. Default 25. */
  maxEvaluations?: number;
  /** Largest step ever tried. Default Infinity. */
  maxStep?: number;
  /**
   * Smallest decrease of phi worth finding (absolute). While no step with sufficient decrease is
   * known, the search gives up (status 'negligible') rather than shrink to a step whose first-order
   * decrease step·|phi'(0)| is no larger. Default 0: search until the budget runs out.
   */
  valueTolerance?: number;
}

export type LineSearchStatus = 'wolfe' | 'sufficient-decrease' | 'negligible' | 'failed';

export interface LineSearchResult<T> {
  /**
   * 'wolfe': `point` satisfies the strong Wolfe conditions; 'sufficient-decrease': budget or interval
   * exhausted, `point` satisfies only sufficient decrease (and is lower than phi(0)); 'negligible': no
   * step with sufficient decrease was found, and the steps left to try could not decrease phi by more
   * than `valueTolerance`; 'failed': no step with sufficient decrease was found. `point` is null
   * for the last two.
   */
  status: LineSearchStatus;
  point: LinePoint<T> | null;
  evaluations: number;
}

/** Interpolated steps are kept this fraction of the interval width away from its ends. */
const INTERPOLATION_MARGIN = 0.1;
/** Extrapolated steps lie in [a_i + 1.1·(a_i - a_{i-1}), a_i + 4·(a_i - a_{i-1})]. */
const EXTRAPOLATION_MIN = 1.1;
const EXTRAPOLATION_MAX = 4;
/** Bisect instead of interpolating when two zoom iterations left more than this fraction of the width. */
const BISECTION_TRIGGER = 2 / 3;
/** A zoom interval narrower than this relative width cannot be split further in float64. */
const MIN_RELATIVE_WIDTH = 1e-12;

/**
 * Minimiser of the cubic matching values and slopes at a and b (N&W eq. 3.59); NaN when the cubic has
 * no local minimiser or the formula is numerically meaningless.
 */
export function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  if (a === b) return Number.NaN;
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const discriminant = d1 * d1 - da * db;
  if (!(discriminant >= 0)) return Number.NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(discriminant);
  const denominator = db - da + 2 * d2;
  if (denominator === 0) return Number.NaN;
  return b - (b - a) * ((db + d2 - d1) / denominator);
}

function isFinitePoint<T>(p: LinePoint<T>): boolean {
  return Number.isFinite(p.value) && Number.isFinite(p.slope);
}

/**
 * Finds a step satisfying the strong Wolfe conditions
 *   phi(step) <= phi(0) + c1·step·phi'(0)   and   |phi'(step)| <= c2·|phi'(0)|.
 * @param evaluate phi and phi' at a step > 0, plus a payload returned with the accepted point
 * @param value0 phi(0), finite
 * @param slope0 phi'(0), finite and negative (a descent direction)
 */
export function strongWolfeLineSearch<T>(
  evaluate: (step: number) => { value: number; slope: number; payload: T },
  value0: number,
  slope0: number,
  options: LineSearchOptions,
): LineSearchResult<T> {
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const maxEvaluations = options.maxEvaluations ?? 25;
  const maxStep = options.maxStep ?? Number.POSITIVE_INFINITY;
  const valueTolerance = options.valueTolerance ?? 0;
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new Error(`line search needs 0 < c1 < c2 < 1, got c1=${c1}, c2=${c2}`);
  if (!(slope0 < 0)) throw new Error(`line search needs a descent direction, got phi'(0)=${slope0}`);
  if (!Number.isFinite(value0)) throw new Error(`line search needs a finite phi(0), got ${value0}`);
  if (!(options.initialStep > 0)) throw new Error(`line search needs initialStep > 0, got ${options.initialStep}`);

  let evaluations = 0;
  const probe = (step: number): LinePoint<T> => {
    evaluations++;
    const { value, slope, payload } = evaluate(step);
    return { step, value, slope, payload };
  };
  const sufficientDecrease = (p: LinePoint<T>): boolean => p.value <= value0 + c1 * p.step * slope0;
  const curvature = (p: LinePoint<T>): boolean => Math.abs(p.slope) <= -c2 * slope0;
  // A step too short to move the point (in the caller's precision) returns phi(0) and phi'(0)
  // exactly; shorter steps are pointless.
  const indistinguishable = (p: LinePoint<T>): boolean => p.value === value0 && p.slope === slope0;
  const negligible = (step: number): boolean => step * -slope0 <= valueTolerance;
  const bestSoFar = (p: LinePoint<T>): LineSearchResult<T> =>
    p.step > 0
      ? { status: 'sufficient-decrease', point: p, evaluations }
      : { status: 'failed', point: null, evaluations };
  const giveUp = (): LineSearchResult<T> => ({ status: 'negligible', point: null, evaluations });

  // Algorithm 3.6: lo satisfies sufficient decrease and is the lowest such point seen; the interval
  // between lo and hi contains strong-Wolfe steps; phi'(lo)·(hi - lo) < 0.
  const zoom = (lo: LinePoint<T>, hi: LinePoint<T>): LineSearchResult<T> => {
    let widthBefore = Number.POSITIVE_INFINITY; // |hi - lo| two iterations ago
    let widthLast = Number.POSITIVE_INFINITY;
    while (evaluations < maxEvaluations) {
      const width = hi.step - lo.step;
      if (Math.abs(width) <= MIN_RELATIVE_WIDTH * Math.max(lo.step, hi.step)) break;
      let step = isFinitePoint(hi)
        ? cubicMinimizer(lo.step, lo.value, lo.slope, hi.step, hi.value, hi.slope)
        : Number.NaN;
      const t = (step - lo.step) / width;
      // Bisect when interpolation has not shrunk the interval to 2/3 in two iterations (Moré & Thuente).
      if (!Number.isFinite(t) || Math.abs(width) > BISECTION_TRIGGER * widthBefore) step = lo.step + 0.5 * width;
      else if (t < INTERPOLATION_MARGIN) step = lo.step + INTERPOLATION_MARGIN * width;
      else if (t > 1 - INTERPOLATION_MARGIN) step = lo.step + (1 - INTERPOLATION_MARGIN) * width;
      if (lo.step === 0 && negligible(step)) return giveUp();
      widthBefore = widthLast;
      widthLast = Math.abs(width);
      const p = probe(step);
      if (indistinguishable(p)) break;
      // Ties count as progress (`>` where N&W have `>=`): in float32, phi is often flat to the last
      // bit over a range of steps, and the slope then decides.
      if (!isFinitePoint(p) || !sufficientDecrease(p) || p.value > lo.value) {
        hi = p;
      } else {
        if (curvature(p)) return { status: 'wolfe', point: p, evaluations };
        if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
        lo = p;
      }
    }
    return bestSoFar(lo);
  };

  // Algorithm 3.5: grow the step until an interval containing acceptable steps is bracketed.
  // The origin's payload is never handed out: bestSoFar returns only points with step > 0.
  const origin: LinePoint<T> = { step: 0, value: value0, slope: slope0, payload: undefined as T };
  let previous = origin;
  let ceiling = maxStep; // smallest step known to be non-finite (or the caller's cap)
  let step = Math.min(options.initialStep, maxStep);
  while (evaluations < maxEvaluations) {
    const p = probe(step);
    if (indistinguishable(p)) break;
    if (!isFinitePoint(p)) {
      ceiling = step;
      step = previous.step + 0.5 * (step - previous.step);
      if (step <= previous.step) break;
      if (previous.step === 0 && negligible(step)) return giveUp();
      continue;
    }
    if (!sufficientDecrease(p) || (previous.step > 0 && p.value > previous.value)) return zoom(previous, p);
    if (curvature(p)) return { status: 'wolfe', point: p, evaluations };
    if (p.slope >= 0) return zoom(p, previous);
    // Still descending steeply: extrapolate beyond p, guided by the cubic through previous and p.
    const gain = p.step - previous.step;
    const low = p.step + EXTRAPOLATION_MIN * gain;
    const high = p.step + EXTRAPOLATION_MAX * gain;
    let next = cubicMinimizer(previous.step, previous.value, previous.slope, p.step, p.value, p.slope);
    next = Number.isFinite(next) ? Math.min(Math.max(next, low), high) : high;
    if (next >= ceiling) next = p.step + 0.5 * (ceiling - p.step);
    previous = p;
    if (!(next > p.step)) break;
    step = next;
  }
  return bestSoFar(previous);
}
