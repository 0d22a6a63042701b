/**
 * An independent float64 implementation of math.md for tests: it builds every covariance T_n as a
 * dense H×H matrix and uses no identity the production code relies on (no determinant lemma, no
 * unit-column shortcut, no custom gradients).
 */

/** erf(x) in float64 from the everywhere-convergent series 2/√π e^{−x²} Σ 2ⁿx^{2n+1}/(2n+1)!!. */
export function erf64(x: number): number {
  if (x < 0) return -erf64(-x);
  if (x > 6) return 1;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

export function m64(a: number): number {
  return Math.sqrt(2 / Math.PI) * Math.exp((-a * a) / 2) + a * erf64(a / Math.SQRT2);
}

export type Mat = number[][];

export type RefPosterior =
  | { family: 'diag'; mean: Mat; std: Mat }
  | { family: 'lowrank'; mean: Mat; factor: Mat[]; diagStd: Mat }
  | { family: 'full'; mean: Mat; chol: Mat[] };

export function covariance(q: RefPosterior, n: number): Mat {
  const h = q.mean[0]!.length;
  const t: Mat = Array.from({ length: h }, () => new Array<number>(h).fill(0));
  if (q.family === 'diag') {
    for (let i = 0; i < h; i++) t[i]![i] = q.std[n]![i]! ** 2;
  } else if (q.family === 'lowrank') {
    const v = q.factor[n]!;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) t[i]![j] = v[i]!.reduce((s, vik, k) => s + vik * v[j]![k]!, 0);
    for (let i = 0; i < h; i++) t[i]![i]! += q.diagStd[n]![i]! ** 2;
  } else {
    const l = q.chol[n]!;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) {
        let s = 0;
        for (let k = 0; k <= Math.min(i, j); k++) s += l[i]![k]! * l[j]![k]!;
        t[i]![j] = s;
      }
  }
  return t;
}

/** Lower Cholesky factor of a symmetric positive-definite matrix. */
export function cholesky(a: Mat): Mat {
  const h = a.length;
  const l: Mat = Array.from({ length: h }, () => new Array<number>(h).fill(0));
  for (let i = 0; i < h; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j && !(s > 0)) throw new Error('cholesky: matrix is not positive definite');
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
  return l;
}

export function logDetSpd(a: Mat): number {
  return cholesky(a).reduce((sum, row, i) => sum + 2 * Math.log(row[i]!), 0);
}

/** Columns of w scaled to unit length. @param w [D][H] */
export function normalize(w: Mat): Mat {
  const h = w[0]!.length;
  const norms = Array.from({ length: h }, (_, k) => Math.sqrt(w.reduce((s, row) => s + row[k]! ** 2, 0)));
  return w.map((row) => row.map((v, k) => v / norms[k]!));
}

export interface RefPointTerms {
  s: Mat; // marginal std [N][H]
  scaledM: Mat; // s M(ν/s)
  squaredError: number[]; // tr(W̃ᵀW̃T) + ‖W̃ν − x‖²
  logDet: number[];
}

export function pointTerms(x: Mat, w: Mat, q: RefPosterior): RefPointTerms {
  const wn = normalize(w);
  const d = wn.length;
  const h = wn[0]!.length;
  const out: RefPointTerms = { s: [], scaledM: [], squaredError: [], logDet: [] };
  for (let n = 0; n < x.length; n++) {
    const t = covariance(q, n);
    const nu = q.mean[n]!;
    const s = t.map((row, i) => Math.sqrt(row[i]!));
    let trace = 0;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++) {
        let g = 0;
        for (let k = 0; k < d; k++) g += wn[k]![i]! * wn[k]![j]!;
        trace += g * t[j]![i]!;
      }
    let resid = 0;
    for (let k = 0; k < d; k++) {
      let r = -x[n]![k]!;
      for (let i = 0; i < h; i++) r += wn[k]![i]! * nu[i]!;
      resid += r * r;
    }
    out.s.push(s);
    out.scaledM.push(s.map((si, i) => si * m64(nu[i]! / si)));
    out.squaredError.push(trace + resid);
    out.logDet.push(logDetSpd(t));
  }
  return out;
}

export interface RefElbo {
  elbo: number;
  entropyQ: number;
  entropyPrior: number;
  entropyLikelihood: number;
  lambda: number[];
  sigma2: number;
}

/** L_{γ,δ} at λ^opt, σ²_opt over all points (Eq. 12, 15, 17). */
export function entropyElbo(x: Mat, w: Mat, q: RefPosterior, gamma = 1, delta = 1): RefElbo {
  const terms = pointTerms(x, w, q);
  const n = x.length;
  const d = w.length;
  const h = w[0]!.length;
  const lambda = Array.from({ length: h }, (_, k) => terms.scaledM.reduce((s, row) => s + row[k]!, 0) / n);
  const sigma2 = terms.squaredError.reduce((a, b) => a + b, 0) / (n * d);
  const entropyQ = terms.logDet.reduce((s, ld) => s + 0.5 * (h * Math.log(2 * Math.PI * Math.E) + ld), 0) / n;
  const entropyPrior = lambda.reduce((s, l) => s + Math.log(2 * Math.E * l), 0);
  const entropyLikelihood = (d / 2) * Math.log(2 * Math.PI * Math.E * sigma2);
  return {
    elbo: entropyQ - gamma * entropyPrior - delta * entropyLikelihood,
    entropyQ,
    entropyPrior,
    entropyLikelihood,
    lambda,
    sigma2,
  };
}

/** ℓ_n at frozen Θ (Eq. 4, Appendix B.3), written from the three expectations, not from M's table. */
export function pointElbo(x: Mat, w: Mat, q: RefPosterior, lambda: number[], sigma2: number): number[] {
  const terms = pointTerms(x, w, q);
  const d = w.length;
  const h = w[0]!.length;
  return terms.squaredError.map((se, n) => {
    const logLik = -(d / 2) * Math.log(2 * Math.PI * sigma2) - se / (2 * sigma2);
    let logPrior = 0;
    for (let k = 0; k < h; k++) logPrior += -Math.log(2 * lambda[k]!) - terms.scaledM[n]![k]! / lambda[k]!;
    const entropy = 0.5 * (h * Math.log(2 * Math.PI * Math.E) + terms.logDet[n]!);
    return logLik + logPrior + entropy;
  });
}
