/**
 * The memory estimate (issue 9, item 8): its parameter counts against the real encoder's variables
 * and the non-amortized learners' per-point layout, and its refusals against the limits.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRunMemory,
  encoderParameters,
  estimateRunMemory,
  pointParameters,
  WASM_HEAP_BYTES,
  type RunShape,
} from '../../../src/resources/memory-estimate.ts';
import { Encoder } from '../../../training/model/encoder.ts';
import { pointSizes } from '../../../training/per-point/posterior-variables.ts';

describe('memory estimate', () => {
  it.each([
    ['diag', 1, 7, 5, 14, 21, 2],
    ['lowrank', 3, 9, 6, 11, 4, 0],
    ['lowrank', 5, 16, 100, 32, 48, 3],
  ] as const)(
    'counts the %s encoder (r=%i, D=%i, H=%i) as the Encoder allocates it',
    (family, rank, d, h, hidden, inner, blocks) => {
      const encoder = new Encoder({ d, h, family, rank, hidden, inner, blocks }, 1);
      const allocated = encoder.variables().reduce((n, v) => n + v.size, 0);
      encoder.dispose();
      expect(encoderParameters({ d, h, rank, family }, { hidden, inner, blocks })).toBe(allocated);
    },
  );

  it.each([['diag'], ['lowrank'], ['full']] as const)(
    'counts the %s per-point parameters as the L-BFGS learners store them',
    (family) => {
      for (const h of [1, 4, 13]) {
        const stored = pointSizes({ family, h, rank: 3 }).reduce((a, b) => a + b, 0);
        expect(pointParameters({ family, h, rank: 3 })).toBe(stored);
      }
    },
  );

  const shape = (s: Partial<RunShape>): RunShape => ({
    n: 1000,
    d: 25,
    h: 10,
    batch: 512,
    family: 'diag',
    rank: 1,
    encoder: { hidden: 50, inner: 75, blocks: 2 },
    ...s,
  });

  it('sizes the minibatch by min(batch, N) and grows with N, H and the widths', () => {
    expect(estimateRunMemory(shape({ batch: 1e9 }))).toEqual(estimateRunMemory(shape({ batch: 1000 })));
    const base = estimateRunMemory(shape({}));
    for (const bigger of [
      shape({ n: 2000 }),
      shape({ h: 20 }),
      shape({ encoder: { hidden: 100, inner: 75, blocks: 2 } }),
    ]) {
      const e = estimateRunMemory(bigger);
      expect(e.host + e.tensors).toBeGreaterThan(base.host + base.tensors);
    }
    // the data term is exactly N·D float32 values
    const data = estimateRunMemory(shape({ n: 10_000_000 }));
    expect(data.largest).toEqual({ what: 'data [N=10000000, D=25]', bytes: 10_000_000 * 25 * 4 });
  });

  it('refuses what exceeds the machine, the wasm heap or one typed array, and accepts the default run', () => {
    expect(() =>
      checkRunMemory(estimateRunMemory(shape({ d: 256, h: 100, n: 50_000 })), 'wasm', 8 * 2 ** 30),
    ).not.toThrow();
    expect(() => checkRunMemory(estimateRunMemory(shape({ n: 1e8 })), 'wasm', 8 * 2 ** 30)).toThrow(
      /needs about 9\.\d+ GiB of memory, more than the 8\.00 GiB of this machine/,
    );
    const wide = estimateRunMemory(shape({ encoder: { hidden: 1e6, inner: 75, blocks: 2 } }));
    expect(wide.tensors).toBeGreaterThan(WASM_HEAP_BYTES);
    expect(() => checkRunMemory(wide, 'wasm', 2 ** 50)).toThrow(/more than the wasm backend's 4\.00 GiB heap/);
    expect(() => checkRunMemory(wide, 'cpu', 2 ** 50)).not.toThrow();
    expect(() => checkRunMemory(estimateRunMemory(shape({ n: 1e9 })), 'cpu', 2 ** 50)).toThrow(
      /an array of 25000000000 values/,
    );
  });
});
