/** Line charts: single points, constant and non-finite series, stacked panels, the training figure. */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PALETTE, renderCurves, renderPanels, trainingCurvesSpec, writeTrainingCurves } from '../../src/plot/curves.ts';
import { type Raster, type Rgb, getPixel } from '../../src/plot/raster.ts';
import { decodePng } from './png.ts';

const size = { width: 480, height: 300 };

/** Rows (y) of the pixels exactly in `color`, below `fromY`. */
function rowsIn(raster: Raster, color: Rgb, fromY = 0): number[] {
  const rows: number[] = [];
  for (let y = fromY; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      const p = getPixel(raster, x, y);
      if (p[0] === color[0] && p[1] === color[1] && p[2] === color[2]) rows.push(y);
    }
  }
  return rows;
}

describe('renderCurves', () => {
  it('shows a single point as a marker in the series colour', () => {
    const r = renderCurves({ title: 'one', xLabel: 'epoch', series: [{ name: 'elbo', x: [1], y: [-123.4] }] }, size);
    expect([r.width, r.height]).toEqual([480, 300]);
    // Legend sample and title take the top ~60 rows; the marker lies in the plot below.
    expect(rowsIn(r, PALETTE[0]!, 70).length).toBeGreaterThan(20);
  });

  it('draws a constant series as a flat line in a padded range', () => {
    const r = renderCurves({ series: [{ name: 'flat', x: [0, 1, 2, 3], y: [5, 5, 5, 5] }] }, size);
    const rows = rowsIn(r, PALETTE[0]!, 50);
    expect(rows.length).toBeGreaterThan(200);
    // Line and markers together stay within a band a marker high, away from the plot's edges.
    expect(Math.max(...rows) - Math.min(...rows)).toBeLessThanOrEqual(12);
    expect(Math.min(...rows)).toBeGreaterThan(80);
    expect(Math.max(...rows)).toBeLessThan(230);
  });

  it('skips NaN and ±Inf and still marks isolated finite points', () => {
    const spec = {
      series: [
        { name: 'gappy', x: [1, 2, 3, 4, 5], y: [NaN, 2, Infinity, 3, -Infinity] },
        { name: 'nothing', x: [1, 2], y: [NaN, NaN] },
        { name: 'bad x', x: [NaN, 2], y: [1, 1] },
      ],
    };
    const r = renderCurves(spec, size);
    expect(rowsIn(r, PALETTE[0]!, 70).length).toBeGreaterThan(40);
    expect(rowsIn(r, PALETTE[2]!, 70).length).toBeGreaterThan(20);
  });

  it('renders a chart with no finite values at all', () => {
    expect(() => renderCurves({ title: 'empty', series: [{ name: 'nan', x: [1], y: [NaN] }] }, size)).not.toThrow();
    expect(() => renderCurves({ series: [] }, size)).not.toThrow();
  });

  it('names both lengths when x and y differ', () => {
    expect(() => renderCurves({ series: [{ name: 's', x: [1, 2], y: [1] }] })).toThrow(/series s has 2 x values but 1 y values/);
  });
});

describe('renderPanels', () => {
  it('stacks panels and gives every series its own colour', () => {
    const panel = (name: string) => ({ title: name, series: [{ name, x: [1, 2, 3], y: [3, 1, 2] }] });
    const r = renderPanels([panel('a'), panel('b'), panel('c')], size);
    expect([r.width, r.height]).toEqual([480, 900]);
    [0, 1, 2].forEach((p) => {
      const rows = rowsIn(r, PALETTE[p]!);
      expect(rows.length).toBeGreaterThan(20);
      expect(Math.min(...rows)).toBeGreaterThanOrEqual(p * 300);
      expect(Math.max(...rows)).toBeLessThan((p + 1) * 300);
    });
  });
});

describe('training curves', () => {
  const row = (epoch: number) => ({
    epoch,
    elbo: -300 + 10 * epoch,
    entropy_q: -100 + epoch,
    entropy_prior: 80 - epoch,
    entropy_likelihood: 200 - 3 * epoch,
    gini_mean: 0.5,
  });

  it('draws the ELBO, then the three entropies', () => {
    const [elbo, entropies] = trainingCurvesSpec([row(1), row(2)]);
    expect(elbo!.series.map((s) => s.name)).toEqual(['elbo']);
    expect(entropies!.series.map((s) => s.name)).toEqual(['entropy_q', 'entropy_prior', 'entropy_likelihood']);
    expect(entropies!.series[2]!.y).toEqual([197, 194]);
    expect(elbo!.series[0]!.x).toEqual([1, 2]);
  });

  it.each([1, 20])('writes a decodable PNG for %i epochs, atomically', async (epochs) => {
    const dir = await mkdtemp(join(tmpdir(), 'curves-'));
    const path = join(dir, 'curves.png');
    await writeTrainingCurves(path, Array.from({ length: epochs }, (_, e) => row(e + 1)));
    expect(await readdir(dir)).toEqual(['curves.png']);
    const png = decodePng(new Uint8Array(await readFile(path)));
    expect([png.width, png.height]).toEqual([900, 800]);
    for (const color of PALETTE.slice(0, 4)) {
      let found = false;
      for (let y = 0; y < png.height && !found; y += 1) {
        for (let x = 0; x < png.width && !found; x++) found = png.pixel(x, y).every((c, i) => c === color[i]);
      }
      expect(found).toBe(true);
    }
  });
});
