/** maxRowsPerRun: onnxruntime sees at most that many rows per run, and the answer is the same as in one run. */
import { describe, expect, it } from 'vitest';
import { loadEncoder } from '@entropy-sc/inference/model';

const MODEL = new URL('../service/fixtures/tiny-lowrank.onnx', import.meta.url).pathname;

describe('maxRowsPerRun', () => {
  it('runs 10 rows as runs of 4, 4 and 2 rows, with the numbers of one run of 10', async () => {
    const [bounded, whole] = await Promise.all([
      loadEncoder(MODEL, { intraOpThreads: 1, maxRowsPerRun: 4 }),
      loadEncoder(MODEL, { intraOpThreads: 1 }),
    ]);
    try {
      const rows = 10;
      const x = Float32Array.from({ length: rows * bounded.d }, (_, i) => Math.cos(0.21 * i));
      const session = await bounded.session(['mean', 'elbo']);
      const seen: number[] = [];
      const run = session.run.bind(session);
      session.run = (part, count, d, names) => (seen.push(count), run(part, count, d, names));
      const got = await bounded.encode(x, rows, ['mean', 'elbo']);
      const want = await whole.encode(x, rows, ['mean', 'elbo']);
      expect(seen).toEqual([4, 4, 2]);
      for (const name of ['mean', 'elbo'] as const) {
        expect(got[name]!.shape).toEqual(want[name]!.shape);
        const a = got[name]!.data;
        const b = want[name]!.data;
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(b[i]!)));
      }
    } finally {
      await Promise.all([bounded.close(), whole.close()]);
    }
  });
});
