/** The service tests' exported encoder (a tiny low-rank bars model), rows for it, and the comparison with the library. */
import { expect } from 'vitest';
import type { Tensor } from '@entropy-sc/inference/model';

export const MODEL = new URL('./fixtures/tiny-lowrank.onnx', import.meta.url).pathname;
export const NAME = 'tiny-lowrank';
export const D = 16;

/** `n` rows of D values, a different smooth pattern per seed. */
export function rows(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * D }, (_, i) => 2 * Math.sin(seed * 7919 + i * 0.37));
}

/** Same numbers as the library, to float32 rounding of a different batch composition. */
export function expectSame(actual: ArrayLike<number>, expected: Tensor, what: string): void {
  expect(actual.length, what).toBe(expected.data.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected.data[i]!;
    if (Math.abs(actual[i]! - e) > 1e-6 * (1 + Math.abs(e)))
      expect.fail(`${what}[${i}]: ${actual[i]} vs the library's ${e}`);
  }
}
