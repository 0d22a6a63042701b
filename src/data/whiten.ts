/**
 * Olshausen & Field (1996) whitening of natural images (math.md, "Natural image patches"): subtract
 * the image's mean, multiply its 2-D Fourier transform by the filter R of whitening-filter.ts,
 * transform back and scale to variance 0.1. Any size: no crop (fft2d takes any length).
 *
 * The image model's graph (@entropy-sc/graph/whitening-graph) applies the same filter definition
 * with ONNX's DFT; the tests hold both to a float64 reference.
 */
import { UserError } from '../errors.ts';
import { fft2d } from './fft2d.ts';
import type { GrayImage } from './gray-image.ts';
import { numberArithmetic, whiteningCutoff, whitenedVariance, whiteningResponse } from './whitening-filter.ts';

/** JSON-ready description of the whitening, for model cards. */
export const whiteningDescription = {
  method: 'Olshausen & Field (1996), per image',
  meanSubtracted: true,
  filter: 'R(f) = |f| * exp(-(|f|/f0)^4), |f| in cycles per image, f0 = 0.4 * S',
  f0Factor: whiteningCutoff,
  variance: whitenedVariance,
  crop: 'none',
  nonSquare: 'each axis in its own length: |f| = S * sqrt((fx/Sx)^2 + (fy/Sy)^2), S = sqrt(Sx * Sy)',
} as const;

/** Signed frequency, in cycles per image, of FFT output index k on an axis of length n. */
export function fftFrequency(k: number, n: number): number {
  return k < n / 2 ? k : k - n;
}

/**
 * The whitening filter R in FFT order (index [u * width + v] holds frequency
 * (f_y, f_x) = (fftFrequency(u, height), fftFrequency(v, width))).
 * @returns R [height * width]
 */
export function whiteningFilter(width: number, height: number): Float64Array {
  const s = Math.sqrt(width * height);
  const filter = new Float64Array(width * height);
  for (let u = 0; u < height; u++) {
    const fy = fftFrequency(u, height) / height;
    for (let v = 0; v < width; v++)
      filter[u * width + v] = whiteningResponse(numberArithmetic, fftFrequency(v, width) / width, fy, s);
  }
  return filter;
}

/**
 * Whitens one grayscale image.
 * @param image pixels [height * width]
 * @returns the whitened image, pixels [height * width] with mean 0 and variance 0.1
 */
export function whitenImage(image: GrayImage): GrayImage {
  const { width, height } = image;
  const label = image.name ?? `${width}x${height} image`;
  if (width < 2 || height < 2) throw new UserError(`${label} is too small to whiten (${width}x${height})`);
  const n = width * height;
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of image.pixels) {
    mean += p;
    if (p < min) min = p;
    if (p > max) max = p;
  }
  if (min === max) throw new UserError(`${label} is constant (zero variance after whitening); it cannot be whitened`);
  mean /= n;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let p = 0; p < n; p++) re[p] = image.pixels[p]! - mean;
  fft2d(re, im, width, height);
  const filter = whiteningFilter(width, height);
  for (let p = 0; p < n; p++) {
    re[p]! *= filter[p]!;
    im[p]! *= filter[p]!;
  }
  fft2d(re, im, width, height, true);
  // R is real and even, so the result is real up to rounding; R(0) = 0 makes its mean 0.
  let sumSquares = 0;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    sum += re[p]!;
    sumSquares += re[p]! * re[p]!;
  }
  const variance = sumSquares / n - (sum / n) ** 2;
  const scale = Math.sqrt(whitenedVariance / variance);
  for (let p = 0; p < n; p++) re[p]! *= scale;
  return { ...image, pixels: re };
}
