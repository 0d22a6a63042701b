/** Generative fields as a tile image: per-tile symmetric gray scale, layout, order and PNG output. */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldsGrid, fieldsPng, renderFields, writeFieldsPng } from '../../src/plot/fields.ts';
import { getPixel } from '../../src/plot/rgb-image.ts';
import { decodePng } from './png.ts';

/** W [D, H] from its columns (each a field, row-major over the patch). */
function fromColumns(columns: number[][]): Float64Array {
  const d = columns[0]!.length;
  const h = columns.length;
  const w = new Float64Array(d * h);
  columns.forEach((field, c) => field.forEach((v, i) => (w[i * h + c] = v)));
  return w;
}

// Three 3-wide × 2-high fields with distinct amplitudes, so tiles are scaled each on its own.
const columns = [
  [0, 1, -0.5, 0.25, -1, 0.5],
  [4, 0, 0, -2, 0, 0],
  [0, 0, 0, 0, 0, -0.01],
];
const layout = { d: 6, h: 3, patchWidth: 3, patchHeight: 2 };
const w = fromColumns(columns);

/** Top-left output pixel of field pixel (row, col) of tile k. */
function at(k: number, row: number, col: number, scale: number, cols: number) {
  return {
    x: 1 + (k % cols) * (3 * scale + 1) + col * scale,
    y: 1 + Math.floor(k / cols) * (2 * scale + 1) + row * scale,
  };
}

describe('renderFields', () => {
  it('maps each tile symmetrically: +max white, −max black, 0 mid-gray', () => {
    const r = renderFields(w, { ...layout, scale: 2 });
    const cols = 2; // ceil(sqrt(3))
    expect([r.width, r.height]).toEqual([cols * (3 * 2 + 1) + 1, 2 * (2 * 2 + 1) + 1]);
    const gray = (k: number, i: number) => {
      const { x, y } = at(k, Math.floor(i / 3), i % 3, 2, cols);
      const pixel = getPixel(r, x + 1, y + 1); // the bottom-right of the 2×2 block
      expect(pixel[0]).toBe(pixel[1]);
      expect(pixel[1]).toBe(pixel[2]);
      return pixel[0];
    };
    expect(columns[0]!.map((_, i) => gray(0, i))).toEqual([128, 255, 64, 159, 0, 191]);
    // Symmetric, not min-max: −2 against a peak of 4 is a quarter gray, not black.
    expect(columns[1]!.map((_, i) => gray(1, i))).toEqual([255, 128, 128, 64, 128, 128]);
    expect(columns[2]!.map((_, i) => gray(2, i))).toEqual([128, 128, 128, 128, 128, 0]);
    // Borders are black; the empty fourth cell stays white.
    expect(getPixel(r, 0, 0)).toEqual([0, 0, 0]);
    expect(getPixel(r, 7, 3)).toEqual([0, 0, 0]);
    expect(getPixel(r, 10, 8)).toEqual([255, 255, 255]);
  });

  it('draws tiles in the given order', () => {
    const order = [2, 0, 1];
    const r = renderFields(w, { ...layout, order, scale: 1 });
    order.forEach((column, k) => {
      const values = columns[column]!;
      const peak = Math.max(...values.map(Math.abs));
      values.forEach((v, i) => {
        const { x, y } = at(k, Math.floor(i / 3), i % 3, 1, 2);
        expect(getPixel(r, x, y)[0]).toBe(Math.max(0, Math.round(127.5 + (127.5 * v) / peak)));
      });
    });
  });

  it('shows a subset when order lists fewer columns', () => {
    const r = renderFields(w, { ...layout, order: [1], scale: 1 });
    expect([r.width, r.height]).toEqual([5, 4]);
    expect(getPixel(r, 1, 1)[0]).toBe(255);
  });

  it('handles all-zero and non-finite fields', () => {
    const r = renderFields(
      fromColumns([
        [0, 0, 0, 0, 0, 0],
        [1, NaN, -1, 0, 0, Infinity],
      ]),
      { ...layout, h: 2, scale: 1 },
    );
    expect(getPixel(r, 1, 1)).toEqual([128, 128, 128]);
    const tile = at(1, 0, 0, 1, 2);
    expect(getPixel(r, tile.x, tile.y)).toEqual([255, 255, 255]);
    expect(getPixel(r, tile.x + 2, tile.y)).toEqual([0, 0, 0]);
    expect(getPixel(r, tile.x + 1, tile.y)).toEqual([255, 0, 255]);
  });

  it('chooses a scale that makes the image at least 400 px wide', () => {
    const grid = fieldsGrid({ d: 256, h: 100, patchWidth: 16, patchHeight: 16 });
    expect(grid).toMatchObject({ cols: 10, rows: 10, scale: 3 });
    expect(grid.width).toBeGreaterThanOrEqual(400);
    expect(fieldsGrid({ d: 256, h: 1024, patchWidth: 16, patchHeight: 16 }).scale).toBe(1);
    const r = renderFields(new Float32Array(12 * 12 * 5), { d: 144, h: 5, patchWidth: 12, patchHeight: 12 });
    expect(r.width).toBeGreaterThanOrEqual(400);
  });

  it('names both sides of a mismatch', () => {
    expect(() => renderFields(w, { ...layout, h: 4 })).toThrow(/18 entries but D×H = 6×4 = 24/);
    expect(() => renderFields(w, { ...layout, patchWidth: 2 })).toThrow(/patch 2×2 has 4 pixels but D = 6/);
    expect(() => renderFields(w, { ...layout, order: [0, 3] })).toThrow(/order holds 3, not a column of H = 3/);
    expect(() => renderFields(w, { ...layout, scale: 0 })).toThrow(/scale/);
  });
});

describe('fields PNG', () => {
  it('encodes and writes atomically', async () => {
    const png = decodePng(fieldsPng(w, { ...layout, scale: 2 }));
    expect([png.width, png.height]).toEqual([15, 11]);
    expect(png.pixel(at(0, 0, 1, 2, 2).x, at(0, 0, 1, 2, 2).y)).toEqual([255, 255, 255]);
    const dir = await mkdtemp(join(tmpdir(), 'fields-'));
    await writeFieldsPng(join(dir, 'fields.png'), w, layout);
    expect(await readdir(dir)).toEqual(['fields.png']);
    const written = decodePng(new Uint8Array(await readFile(join(dir, 'fields.png'))));
    expect(written.width).toBeGreaterThanOrEqual(400);
  });
});
