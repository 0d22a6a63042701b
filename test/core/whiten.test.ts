/** Olshausen & Field whitening: the 2-D FFT, the filter, and the spectra of whitened noise. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { fft2d } from '../../src/data/fft2d.ts';
import type { GrayImage } from '../../src/data/gray-image.ts';
import { whitenImage, whiteningFilter } from '../../src/data/whiten.ts';
import { Random } from '../../src/random.ts';

/** Direct DFT sum X[u,v] = Σ x[i,j] e^{∓2πi(ui/H + vj/W)} (sign − forward), no scaling. */
function dft(
  re: Float64Array,
  im: Float64Array,
  width: number,
  height: number,
  sign = -1,
): [Float64Array, Float64Array] {
  const outRe = new Float64Array(width * height);
  const outIm = new Float64Array(width * height);
  for (let u = 0; u < height; u++) {
    for (let v = 0; v < width; v++) {
      let sr = 0;
      let si = 0;
      for (let i = 0; i < height; i++) {
        for (let j = 0; j < width; j++) {
          const angle = sign * 2 * Math.PI * ((u * i) / height + (v * j) / width);
          const c = Math.cos(angle);
          const s = Math.sin(angle);
          sr += re[i * width + j]! * c - im[i * width + j]! * s;
          si += re[i * width + j]! * s + im[i * width + j]! * c;
        }
      }
      outRe[u * width + v] = sr;
      outIm[u * width + v] = si;
    }
  }
  return [outRe, outIm];
}

function noise(width: number, height: number, seed: number): GrayImage {
  const rng = new Random(seed);
  return { width, height, pixels: Float64Array.from({ length: width * height }, () => rng.normal()) };
}

function moments(x: Float64Array): { mean: number; variance: number } {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  return { mean, variance: x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length };
}

/** Signed frequency of index k on an axis of length n, written out independently of the module. */
const signed = (k: number, n: number) => (k >= n / 2 ? k - n : k);

/** fft2d of (a, b) against the direct DFT sum, then its inverse against (a, b). */
function expectDftRoundTrip(width: number, height: number, seed: number): void {
  const a = noise(width, height, seed).pixels;
  const b = noise(width, height, seed + 1).pixels;
  const [expectedRe, expectedIm] = dft(a, b, width, height);
  const re = a.slice();
  const im = b.slice();
  fft2d(re, im, width, height);
  for (let q = 0; q < width * height; q++) {
    expect(re[q]).toBeCloseTo(expectedRe[q]!, 10);
    expect(im[q]).toBeCloseTo(expectedIm[q]!, 10);
  }
  fft2d(re, im, width, height, true);
  for (let q = 0; q < width * height; q++) {
    expect(re[q]).toBeCloseTo(a[q]!, 12);
    expect(im[q]).toBeCloseTo(b[q]!, 12);
  }
}

describe('fft2d', () => {
  it('matches a direct DFT sum on a small non-square array, and inverts', () => {
    expectDftRoundTrip(8, 4, 1);
  });

  it('matches a direct DFT sum on lengths that are not powers of two (Bluestein), and inverts', () => {
    for (const [width, height] of [
      [7, 5],
      [13, 6],
      [1, 3],
    ] as const)
      expectDftRoundTrip(width, height, 5);
  });
});

describe('whiteningFilter', () => {
  it('is R(f) = |f| exp(-(|f|/f0)^4) in FFT order, zero at f = 0', () => {
    const s = 16;
    const f0 = 0.4 * s;
    const filter = whiteningFilter(s, s);
    const r = (f: number) => f * Math.exp(-((f / f0) ** 4));
    expect(filter[0]).toBe(0);
    expect(filter[0 * s + 15]).toBeCloseTo(r(1), 14); // f = (0, -1)
    expect(filter[8 * s + 0]).toBeCloseTo(r(8), 14); // f_y = -8, the Nyquist row
    expect(filter[3 * s + 12]).toBeCloseTo(r(5), 14); // f = (3, -4)
    expect(filter[13 * s + 4]).toBeCloseTo(r(5), 14); // f = (-3, 4)
  });

  it('measures each axis in its own length for rectangles', () => {
    const filter = whiteningFilter(32, 8);
    expect(filter[0]).toBe(0);
    // (f_x, f_y) = (4, 0) on the 32-wide axis and (0, 1) on the 8-high axis are both 1/8 cycle per pixel.
    expect(filter[4]).toBeCloseTo(filter[1 * 32]!, 12);
  });
});

describe('whitenImage', () => {
  it('equals a direct implementation of math.md on a small image', () => {
    const s = 8;
    const image = noise(s, s, 3);
    const mean = image.pixels.reduce((a, b) => a + b, 0) / (s * s);
    const [fr, fi] = dft(
      image.pixels.map((p) => p - mean),
      new Float64Array(s * s),
      s,
      s,
    );
    for (let u = 0; u < s; u++) {
      for (let v = 0; v < s; v++) {
        const f = Math.hypot(signed(u, s), signed(v, s));
        const r = f * Math.exp(-((f / (0.4 * s)) ** 4));
        fr[u * s + v]! *= r;
        fi[u * s + v]! *= r;
      }
    }
    const [back] = dft(fr, fi, s, s, +1);
    const raw = back.map((x) => x / (s * s));
    const scaled = raw.map((x) => x * Math.sqrt(0.1 / moments(raw).variance));
    const whitened = whitenImage(image);
    for (let p = 0; p < s * s; p++) expect(whitened.pixels[p]).toBeCloseTo(scaled[p]!, 12);
  });

  it('gives white noise mean 0 and variance 0.1, keeping a non-power-of-two image whole', () => {
    const whitened = whitenImage(noise(70, 64, 4));
    expect([whitened.width, whitened.height]).toEqual([70, 64]);
    const { mean, variance } = moments(whitened.pixels);
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(variance).toBeCloseTo(0.1, 12);
  });

  it('flattens the power spectrum of 1/f noise over mid frequencies', () => {
    const s = 128;
    const radii = [6, 12, 24]; // well below f0 = 51.2, where R(f)/f is nearly flat
    const whitePower = radii.map(() => 0);
    const rawPower = radii.map(() => 0);
    for (let seed = 0; seed < 3; seed++) {
      const pink = pinkNoise(s, 10 + seed);
      const whitened = whitenImage(pink);
      radialPower(pink.pixels, s, radii).forEach((p, k) => (rawPower[k]! += p));
      radialPower(whitened.pixels, s, radii).forEach((p, k) => (whitePower[k]! += p));
    }
    expect(Math.max(...whitePower) / Math.min(...whitePower)).toBeLessThan(1.4);
    expect(rawPower[0]! / rawPower[2]!).toBeGreaterThan(8); // ≈ (24/6)² = 16 without whitening
  });

  it('rejects constant and tiny images', () => {
    const constant: GrayImage = { width: 8, height: 8, pixels: new Float64Array(64).fill(0.3), name: 'flat.png' };
    expect(() => whitenImage(constant)).toThrow(/flat\.png is constant/);
    expect(() => whitenImage({ width: 5, height: 1, pixels: new Float64Array(5) })).toThrow(UserError);
  });
});

/** Noise with amplitude spectrum 1/|f| (power 1/f²), made by shaping white noise's transform. */
function pinkNoise(s: number, seed: number): GrayImage {
  const re = noise(s, s, seed).pixels;
  const im = new Float64Array(s * s);
  fft2d(re, im, s, s);
  for (let u = 0; u < s; u++) {
    for (let v = 0; v < s; v++) {
      const f = Math.hypot(signed(u, s), signed(v, s));
      const gain = f === 0 ? 0 : 1 / f;
      re[u * s + v]! *= gain;
      im[u * s + v]! *= gain;
    }
  }
  fft2d(re, im, s, s, true);
  return { width: s, height: s, pixels: re };
}

/** Mean |X(f)|² over the annulus r − 1 ≤ |f| < r + 1, for each radius. */
function radialPower(pixels: Float64Array, s: number, radii: number[]): number[] {
  const re = pixels.slice();
  const im = new Float64Array(s * s);
  fft2d(re, im, s, s);
  const sums = radii.map(() => 0);
  const counts = radii.map(() => 0);
  for (let u = 0; u < s; u++) {
    for (let v = 0; v < s; v++) {
      const f = Math.hypot(signed(u, s), signed(v, s));
      radii.forEach((r, k) => {
        if (f >= r - 1 && f < r + 1) {
          sums[k]! += re[u * s + v]! ** 2 + im[u * s + v]! ** 2;
          counts[k]!++;
        }
      });
    }
  }
  return sums.map((sum, k) => sum / counts[k]!);
}
