/**
 * The whitening filter of math.md ("Natural image patches"), written once for both places that
 * apply it: the TypeScript whitening (whiten.ts, numbers) and the image model's ONNX graph
 * (@entropy-sc/graph, node names). Each evaluates the same expression in its own arithmetic.
 */

/** f₀ = whiteningCutoff · S. */
export const whiteningCutoff = 0.4;
/** Variance of each whitened image. */
export const whitenedVariance = 0.1;

/** The operations the filter is written in. */
export interface Arithmetic<T> {
  constant(value: number): T;
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  neg(a: T): T;
  sqrt(a: T): T;
  exp(a: T): T;
}

/**
 * R(f) = |f|·exp(−(|f|/f₀)⁴) at the frequency (f_x, f_y) in cycles per pixel of an image of size
 * S = √(S_x·S_y): |f| = S·√(f_x² + f_y²) cycles per image and f₀ = 0.4·S. For a square image this is
 * math.md's filter; for a rectangle each axis is measured in its own length, so R is isotropic in
 * the image plane and cuts off at 0.4 cycles per pixel (S only scales R, which the variance scaling
 * removes).
 */
export function whiteningResponse<T>(a: Arithmetic<T>, fx: T, fy: T, s: T): T {
  const f = a.mul(s, a.sqrt(a.add(a.mul(fx, fx), a.mul(fy, fy))));
  const ratio = a.div(f, a.mul(a.constant(whiteningCutoff), s));
  const squared = a.mul(ratio, ratio);
  return a.mul(f, a.exp(a.neg(a.mul(squared, squared))));
}

/** Plain numbers. */
export const numberArithmetic: Arithmetic<number> = {
  constant: (value) => value,
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  neg: (a) => -a,
  sqrt: Math.sqrt,
  exp: Math.exp,
};
