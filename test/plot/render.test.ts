/** Charts render to PNG with the shipped font: text is drawn, sizes follow the scale, bad values are left out. */
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { boxStats } from '../../src/metrics/quantile.ts';
import { gapDistributionSpec } from '../../plot/gap-distribution.ts';
import { chartPng, chartSvg, type TopLevelSpec } from '../../plot/render.ts';
import { runComparisonSpec } from '../../plot/run-comparison.ts';
import { trainingCurvesSpec } from '../../plot/training-curves.ts';

function decode(bytes: Uint8Array) {
  return pngjs.PNG.sync.read(Buffer.from(bytes));
}

/** Pixels that are not white. */
function inked(png: pngjs.PNG): number {
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4)
    if (png.data[i]! < 250 || png.data[i + 1]! < 250 || png.data[i + 2]! < 250) count++;
  return count;
}

const line = (title: string): TopLevelSpec => ({
  title,
  width: 200,
  height: 100,
  data: {
    values: [
      { x: 1, y: 1 },
      { x: 2, y: 3 },
    ],
  },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
});

describe('chartPng', () => {
  it('draws text with the DejaVu font (no system fonts): a longer title inks more pixels', async () => {
    const short = decode(await chartPng(line('-')));
    const long = decode(await chartPng(line('abcdefghijklmn')));
    expect([long.width, long.height]).toEqual([short.width, short.height]);
    // each glyph of DejaVu Sans at 13 px, drawn at scale 2, covers tens of pixels
    expect(inked(long) - inked(short)).toBeGreaterThan(14 * 30);
  });

  it('scales the image with `scale`', async () => {
    const one = decode(await chartPng(line('t'), 1));
    const two = decode(await chartPng(line('t'), 2));
    expect(Math.abs(two.width - 2 * one.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(two.height - 2 * one.height)).toBeLessThanOrEqual(1);
  });
});

describe('trainingCurvesSpec', () => {
  it('shows every epoch (from 1) and leaves NaN and ±Inf out instead of failing', async () => {
    const rows = [0, 1, 2].map((epoch) => ({
      epoch,
      elbo: epoch === 1 ? NaN : 10 + epoch,
      entropy_q: 1,
      entropy_prior: 2,
      entropy_likelihood: epoch === 2 ? Infinity : 3,
    }));
    const spec = trainingCurvesSpec(rows) as { vconcat: Array<{ data: { values: Array<Record<string, unknown>> } }> };
    expect(spec.vconcat[0]!.data.values).toEqual([
      { epoch: 1, elbo: 10 },
      { epoch: 2, elbo: null },
      { epoch: 3, elbo: 12 },
    ]);
    expect(spec.vconcat[1]!.data.values).toHaveLength(9);
    expect(spec.vconcat[1]!.data.values.filter((v) => v['value'] === null)).toHaveLength(1);
    const svg = await chartSvg(trainingCurvesSpec(rows));
    expect(svg).toContain('ELBO per epoch');
    expect(svg).toContain('H[p(x|z)]');
  });
});

describe('boxStats', () => {
  it('interpolates between order statistics like numpy.percentile and ignores non-finite values', () => {
    const q = boxStats([4, 1, 3, 2, NaN, 5]);
    expect(q.median).toBe(3);
    expect(q.q1).toBe(2);
    expect(q.p95).toBeCloseTo(4.8, 12);
    expect(q.p05).toBeCloseTo(1.2, 12);
    expect(q.mean).toBe(3);
  });
});

describe('comparison charts', () => {
  it('render the gap distributions and the run curves of several runs', async () => {
    const sample = (name: string, scale: number) => {
      const gaps = Float64Array.from({ length: 1000 }, (_, i) => i * scale);
      return { name, gaps, stats: boxStats(gaps) };
    };
    const gaps = gapDistributionSpec([sample('diag', 0.01), sample('lowrank', 0.003)]);
    const svg = await chartSvg(gaps);
    expect(svg).toContain('diag');
    expect(svg).toContain('lowrank');
    const curves = runComparisonSpec([
      {
        name: 'a',
        rows: [
          { epoch: 0, elbo: 1, seconds: 2 },
          { epoch: 1, elbo: 3, seconds: 2 },
        ],
      },
      { name: 'b', rows: [{ epoch: 0, elbo: 2, seconds: 1 }] },
    ]);
    const data = (curves as { data: { values: Array<{ time: number }> } }).data.values;
    expect(data.map((v) => v.time)).toEqual([2, 4, 1]); // cumulative training time
    expect(inked(decode(await chartPng(curves)))).toBeGreaterThan(1000);
  });
});
