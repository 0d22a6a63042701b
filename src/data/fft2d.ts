/**
 * In-place 2-D discrete Fourier transform of arrays of any size, row by row and then column by
 * column. Forward: X[u,v] = Σ x[i,j] e^{−2πi(ui/H + vj/W)}; the inverse divides by H·W. Output index
 * k on an axis of length N is frequency k for k < N/2 and k − N otherwise.
 *
 * Lines of power-of-two length go straight to fft.js; other lengths use Bluestein's chirp-z
 * identity jk = (j² + k² − (k−j)²)/2, which turns the DFT into a convolution that fft.js computes at
 * the next power of two ≥ 2N − 1 (exact in exact arithmetic, O(N log N)).
 */
import FFT from 'fft.js';

/** The part of fft.js used here, typed (its own declarations use `any`); arrays are interleaved complex. */
interface ComplexFft {
  transform(out: Float64Array, data: Float64Array): void;
  inverseTransform(out: Float64Array, data: Float64Array): void;
}

const plans = new Map<number, ComplexFft>();

function plan(n: number): ComplexFft {
  let p = plans.get(n);
  if (!p) {
    p = n === 1 ? identity : (n & (n - 1)) === 0 ? (new FFT(n) as ComplexFft) : new Bluestein(n);
    plans.set(n, p);
  }
  return p;
}

const identity: ComplexFft = {
  transform: (out, data) => out.set(data),
  inverseTransform: (out, data) => out.set(data),
};

class Bluestein implements ComplexFft {
  private readonly m: number;
  private readonly fft: ComplexFft;
  /** c_j = e^{−πi j²/n}, j < n, interleaved */
  private readonly chirp: Float64Array;
  /** the FFT of b, b_j = conj(c_|j|) for |j| < n (negative j wrapped to m + j) */
  private readonly kernel: Float64Array;
  private readonly a: Float64Array;
  private readonly spectrum: Float64Array;

  constructor(private readonly n: number) {
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    this.m = m;
    this.fft = new FFT(m) as ComplexFft;
    this.chirp = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) {
      // j² mod 2n keeps the angle small, so it stays exact for large j
      const angle = (Math.PI * ((j * j) % (2 * n))) / n;
      this.chirp[2 * j] = Math.cos(angle);
      this.chirp[2 * j + 1] = -Math.sin(angle);
    }
    const b = new Float64Array(2 * m);
    for (let j = 0; j < n; j++) {
      for (const at of j === 0 ? [0] : [j, m - j]) {
        b[2 * at] = this.chirp[2 * j]!;
        b[2 * at + 1] = -this.chirp[2 * j + 1]!;
      }
    }
    this.kernel = new Float64Array(2 * m);
    this.fft.transform(this.kernel, b);
    this.a = new Float64Array(2 * m);
    this.spectrum = new Float64Array(2 * m);
  }

  transform(out: Float64Array, data: Float64Array): void {
    const { n, m, chirp, kernel, a, spectrum } = this;
    a.fill(0);
    for (let j = 0; j < n; j++) {
      const [xr, xi, cr, ci] = [data[2 * j]!, data[2 * j + 1]!, chirp[2 * j]!, chirp[2 * j + 1]!];
      a[2 * j] = xr * cr - xi * ci;
      a[2 * j + 1] = xr * ci + xi * cr;
    }
    this.fft.transform(spectrum, a);
    for (let k = 0; k < m; k++) {
      const [sr, si, kr, ki] = [spectrum[2 * k]!, spectrum[2 * k + 1]!, kernel[2 * k]!, kernel[2 * k + 1]!];
      spectrum[2 * k] = sr * kr - si * ki;
      spectrum[2 * k + 1] = sr * ki + si * kr;
    }
    this.fft.inverseTransform(a, spectrum);
    for (let k = 0; k < n; k++) {
      const [yr, yi, cr, ci] = [a[2 * k]!, a[2 * k + 1]!, chirp[2 * k]!, chirp[2 * k + 1]!];
      out[2 * k] = yr * cr - yi * ci;
      out[2 * k + 1] = yr * ci + yi * cr;
    }
  }

  /** The inverse through the forward transform: conj(DFT(conj(x)))/n. */
  inverseTransform(out: Float64Array, data: Float64Array): void {
    const conjugate = Float64Array.from(data, (v, t) => (t % 2 === 1 ? -v : v));
    this.transform(out, conjugate);
    for (let t = 0; t < 2 * this.n; t++) out[t] = (t % 2 === 1 ? -out[t]! : out[t]!) / this.n;
  }
}

/**
 * Transforms (re, im) in place.
 * @param re real parts [height * width], row-major
 * @param im imaginary parts [height * width], row-major
 * @param inverse the inverse transform (with the 1/(H·W) factor) instead of the forward one
 */
export function fft2d(re: Float64Array, im: Float64Array, width: number, height: number, inverse = false): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1))
    throw new Error(`fft2d: size ${width}x${height}`);
  if (re.length !== width * height || im.length !== width * height)
    throw new Error(`fft2d: arrays of ${re.length}, ${im.length} for ${width}x${height}`);
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
