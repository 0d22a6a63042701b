/** Nice tick values (1, 2, 5 × 10^k) and their labels. */
import { describe, expect, it } from 'vitest';
import { formatTicks, niceStep, niceTicks } from '../../src/plot/ticks.ts';

describe('niceTicks', () => {
  it('ticks [0, 1] every 0.2 without rounding noise', () => {
    const { ticks, step } = niceTicks(0, 1, 5);
    expect(step).toBe(0.2);
    expect(ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(formatTicks(ticks, step)).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  });

  it('ticks [-1234, 5678] every 1000', () => {
    const { ticks, step } = niceTicks(-1234, 5678, 6);
    expect(step).toBe(1000);
    expect(ticks).toEqual([-1000, 0, 1000, 2000, 3000, 4000, 5000]);
    expect(formatTicks(ticks, step)).toEqual(['-1000', '0', '1000', '2000', '3000', '4000', '5000']);
  });

  it('handles small, offset and negative ranges', () => {
    expect(niceTicks(0.0031, 0.0049, 4).ticks).toEqual([0.0035, 0.004, 0.0045]);
    expect(niceTicks(-370, -240, 6).ticks).toEqual([-360, -340, -320, -300, -280, -260, -240]);
    const near = niceTicks(4.999, 5.001, 4);
    expect(near.step).toBe(0.0005);
    expect(formatTicks(near.ticks, near.step)).toEqual(['4.9990', '4.9995', '5.0000', '5.0005', '5.0010']);
  });

  it('only uses steps of 1, 2 or 5 × 10^k', () => {
    for (const [lo, hi] of [[0, 7], [-3, 1e6], [1e-6, 3e-6], [12, 13.7], [-0.5, 0.5]] as const) {
      for (const count of [3, 5, 8]) {
        const { ticks, step } = niceTicks(lo, hi, count);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5]).toContain(Math.round(mantissa * 1e6) / 1e6);
        expect(ticks[0]!).toBeGreaterThanOrEqual(lo - step * 1e-9);
        expect(ticks.at(-1)!).toBeLessThanOrEqual(hi + step * 1e-9);
        expect(ticks.length).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('respects a minimum step for integer axes', () => {
    expect(niceTicks(0.9, 3.1, 10, 1).ticks).toEqual([1, 2, 3]);
    expect(niceStep(0.3, 1)).toBe(1);
  });

  it('rejects empty or non-finite ranges', () => {
    expect(() => niceTicks(1, 1)).toThrow(RangeError);
    expect(() => niceTicks(0, Infinity)).toThrow(RangeError);
  });
});

describe('formatTicks', () => {
  it('uses exponents for huge and tiny values and never prints -0', () => {
    expect(formatTicks([1.5e9, 2e9, 2.5e9], 5e8)).toEqual(['1.5e9', '2.0e9', '2.5e9']);
    expect(formatTicks([0, 0.0002, 0.0004], 0.0002)).toEqual(['0', '2e-4', '4e-4']);
    expect(formatTicks([-0.5, -0, 0.5], 0.5)).toEqual(['-0.5', '0.0', '0.5']);
  });
});
