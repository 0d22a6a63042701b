/**
 * Olshausen & Field (1996) whitening of natural images (math.md, "Natural image patches"): subtract
 * the image's mean, multiply its 2-D Fourier transform by R(f) = |f|·exp(−(|f|/f₀)⁴) with
 * f₀ = 0.4·S, transform back and scale to variance 0.1.
 *
 * fft.js handles power-of-two lengths only, so each image is first cropped to its largest centred
 * power-of-two rectangle (each axis separately: 600×400 → 512×256, 451×300 → 256×256).
 * Non-square images measure each axis in its own length: with ρ = √((f_x/S_x)² + (f_y/S_y)²) cycles
 * per pixel, |f| = S·ρ and f₀ = 0.4·S where S = √(S_x·S_y). For a square this is exactly math.md's
 * filter; for a rectangle it is the same filter of ρ (isotropic in the image plane, cutting off at
 * 0.4 cycles per pixel), and S only scales R, which the variance scaling removes.
 */
import { UserError } from '../errors.ts';
import { fft2d } from './fft2d.ts';
import type { GrayImage } from './gray-image.ts';

/** f₀ = whiteningCutoff · S. */
export const whiteningCutoff = 0.4;
/** Variance of each whitened image. */
export const whitenedVariance = 0.1;

/** JSON-ready description of the whitening, for model cards. */
export const whiteningDescription = {
  method: 'Olshausen & Field (1996), per image',
  meanSubtracted: true,
  filter: 'R(f) = |f| * exp(-(|f|/f0)^4), |f| in cycles per image, f0 = 0.4 * S',
  f0Factor: whiteningCutoff,
  variance: whitenedVariance,
  crop: 'largest centred power-of-two rectangle, each axis separately',
  nonSquare: 'each axis in its own length: |f| = S * sqrt((fx/Sx)^2 + (fy/Sy)^2), S = sqrt(Sx * Sy)',
} as const;

/** The largest power of two ≤ n (n ≥ 1). */
export function largestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/**
 * The centred crop of `image` to the largest power-of-two size on each axis (offsets rounded down).
 * @param image pixels [height * width]
 * @returns pixels [h' * w'], the image itself if nothing is cropped
 */
export function cropToPowerOfTwo(image: GrayImage): GrayImage {
  const width = largestPowerOfTwo(image.width);
  const height = largestPowerOfTwo(image.height);
  if (width === image.width && height === image.height) return image;
  const x0 = Math.floor((image.width - width) / 2);
  const y0 = Math.floor((image.height - height) / 2);
  const pixels = new Float64Array(width * height);
  for (let i = 0; i < height; i++) {
    const from = (y0 + i) * image.width + x0;
    pixels.set(image.pixels.subarray(from, from + width), i * width);
  }
  return { ...image, width, height, pixels };
}

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
  const f0 = whiteningCutoff * s;
  const filter = new Float64Array(width * height);
  for (let u = 0; u < height; u++) {
    const fy = fftFrequency(u, height) / height;
    for (let v = 0; v < width; v++) {
      const fx = fftFrequency(v, width) / width;
      const f = s * Math.sqrt(fx * fx + fy * fy);
      filter[u * width + v] = f * Math.exp(-((f / f0) ** 4));
    }
  }
  return filter;
}

/**
 * Whitens one grayscale image (after cropping it to a power-of-two size).
 * @param image pixels [height * width]
 * @returns the whitened image, pixels [h' * w'] with mean 0 and variance 0.1
 */
export function whitenImage(image: GrayImage): GrayImage {
  const cropped = cropToPowerOfTwo(image);
  const { width, height } = cropped;
  const label = image.name ?? `${image.width}x${image.height} image`;
  if (width < 2 || height < 2) throw new UserError(`${label} is too small to whiten (${image.width}x${image.height})`);
  const n = width * height;
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const p of cropped.pixels) {
    mean += p;
    if (p < min) min = p;
    if (p > max) max = p;
  }
  if (min === max) throw new UserError(`${label} is constant (after cropping to ${width}x${height}); it cannot be whitened`);
  mean /= n;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let p = 0; p < n; p++) re[p] = cropped.pixels[p]! - mean;
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
  return { ...cropped, pixels: re };
}
