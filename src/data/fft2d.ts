/**
 * In-place 2-D discrete Fourier transform of power-of-two sized arrays, row by row and then column
 * by column with fft.js. Forward: X[u,v] = Σ x[i,j] e^{−2πi(ui/H + vj/W)}; the inverse divides by H·W.
 * Output index k on an axis of length N is frequency k for k < N/2 and k − N otherwise.
 */
import FFT from 'fft.js';
import { UserError } from '../errors.ts';

/** The part of fft.js used here, typed (its own declarations use `any`). */
interface ComplexFft {
  transform(out: Float64Array, data: Float64Array): void;
  inverseTransform(out: Float64Array, data: Float64Array): void;
}

const plans = new Map<number, ComplexFft>();

function plan(n: number): ComplexFft {
  let p = plans.get(n);
  if (!p) {
    p = new FFT(n) as ComplexFft;
    plans.set(n, p);
  }
  return p;
}

/** Whether n is a power of two of at least 2 (what fft.js accepts). */
export function isFftLength(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

/**
 * Transforms (re, im) in place.
 * @param re real parts [height * width], row-major
 * @param im imaginary parts [height * width], row-major
 * @param inverse the inverse transform (with the 1/(H·W) factor) instead of the forward one
 */
export function fft2d(re: Float64Array, im: Float64Array, width: number, height: number, inverse = false): void {
  if (!isFftLength(width) || !isFftLength(height)) throw new UserError(`FFT size ${width}x${height} is not a power of two (at least 2) on each axis`);
  if (re.length !== width * height || im.length !== width * height) throw new Error(`fft2d: arrays of ${re.length}, ${im.length} for ${width}x${height}`);
  transformLines(re, im, width, height, 1, width, inverse); // rows
  transformLines(re, im, height, width, width, 1, inverse); // columns
}

/**
 * Transforms `count` lines of `length` elements: element t of line l is at l·lineStride + t·stride.
 */
function transformLines(
  re: Float64Array,
  im: Float64Array,
  length: number,
  count: number,
  stride: number,
  lineStride: number,
  inverse: boolean,
): void {
  const fft = plan(length);
  const input = new Float64Array(2 * length);
  const output = new Float64Array(2 * length);
  for (let l = 0; l < count; l++) {
    const base = l * lineStride;
    for (let t = 0, p = base; t < length; t++, p += stride) {
      input[2 * t] = re[p]!;
      input[2 * t + 1] = im[p]!;
    }
    if (inverse) fft.inverseTransform(output, input);
    else fft.transform(output, input);
    for (let t = 0, p = base; t < length; t++, p += stride) {
      re[p] = output[2 * t]!;
      im[p] = output[2 * t + 1]!;
    }
  }
}
