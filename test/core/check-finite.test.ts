/** checkFinite: names the first non-finite value (or one beyond float32) by its position, for any array type. */
import { describe, expect, it } from 'vitest';
import { checkFinite } from '@entropy-sc/core/validate/arrays';

describe('checkFinite', () => {
  it('passes finite float32 rows, and names the first NaN or ±Infinity in them by position', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i - 5.5);
    expect(() => checkFinite(x, 'body', [3, 4])).not.toThrow();
    for (const [at, bad] of [
      [7, Number.NaN],
      [0, Infinity],
      [11, -Infinity],
    ] as const) {
      const y = x.slice();
      y[at] = bad;
      expect(() => checkFinite(y, 'body', [3, 4], 10)).toThrow(
        `body: non-finite value ${bad} at [${10 + Math.floor(at / 4)}, ${at % 4}]`,
      );
    }
  });

  it('names a float64 or plain value beyond float32 range, which a float32 array cannot hold', () => {
    for (const data of [Float64Array.of(1, 2, 1e39), [1, 2, -1e39]])
      expect(() => checkFinite(data, 'file.npy', [1, 3])).toThrow(
        /file\.npy: value -?1e\+39 is beyond float32's range .* at \[0, 2\]/,
      );
  });
});
