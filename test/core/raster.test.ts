/** The RGB raster: pixels, rectangles, lines, bitmap text and PNG encoding. */
import { describe, expect, it } from 'vitest';
import { glyphBitmap } from '../../src/plot/font.ts';
import {
  type Raster,
  type Rgb,
  BLACK,
  WHITE,
  createRaster,
  drawLine,
  drawText,
  encodePng,
  fillCircle,
  fillRect,
  getPixel,
  setPixel,
  textHeight,
  textWidth,
} from '../../src/plot/raster.ts';
import { decodePng } from './png.ts';

const RED: Rgb = [200, 30, 40];

/** Pixels differing from white, as "x,y" keys. */
function inked(raster: Raster): Set<string> {
  const set = new Set<string>();
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) if (getPixel(raster, x, y).some((c) => c !== 255)) set.add(`${x},${y}`);
  }
  return set;
}

describe('raster primitives', () => {
  it('sets pixels and fills clipped rectangles', () => {
    const r = createRaster(10, 6);
    expect(getPixel(r, 9, 5)).toEqual([255, 255, 255]);
    setPixel(r, 2, 3, RED);
    setPixel(r, -1, 99, RED);
    expect(getPixel(r, 2, 3)).toEqual([...RED]);
    fillRect(r, 8, 4, 5, 5, BLACK);
    expect(inked(r)).toEqual(new Set(['2,3', '8,4', '9,4', '8,5', '9,5']));
  });

  it('rejects empty sizes', () => {
    expect(() => createRaster(0, 5)).toThrow(RangeError);
  });

  it('draws lines in their colour along the segment and nowhere far from it', () => {
    for (const width of [1, 2]) {
      const r = createRaster(40, 30);
      drawLine(r, 2.5, 3.5, 35.5, 25.5, RED, width);
      // Pixel (17, 13) has its centre (17.5, 13.5) on the line: full colour.
      expect(getPixel(r, 17, 13)).toEqual([...RED]);
      for (const key of inked(r)) {
        const [x, y] = key.split(',').map(Number) as [number, number];
        const distance = Math.abs(22 * (x + 0.5 - 2.5) - 33 * (y + 0.5 - 3.5)) / Math.hypot(22, 33);
        expect(distance).toBeLessThan(width / 2 + 1);
      }
    }
  });

  it('draws horizontal, vertical and zero-length lines', () => {
    const r = createRaster(20, 20);
    drawLine(r, 1.5, 2.5, 18.5, 2.5, BLACK);
    drawLine(r, 5.5, 4.5, 5.5, 15.5, BLACK);
    drawLine(r, 12.5, 12.5, 12.5, 12.5, RED, 2);
    expect(getPixel(r, 10, 2)).toEqual([0, 0, 0]);
    expect(getPixel(r, 10, 4)).toEqual([255, 255, 255]);
    expect(getPixel(r, 5, 10)).toEqual([0, 0, 0]);
    expect(getPixel(r, 12, 12)).toEqual([...RED]);
  });

  it('fills discs', () => {
    const r = createRaster(20, 20);
    fillCircle(r, 10, 10, 4, RED);
    expect(getPixel(r, 9, 9)).toEqual([...RED]);
    expect(getPixel(r, 1, 1)).toEqual([255, 255, 255]);
  });
});

describe('bitmap text', () => {
  const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

  it('has a distinct glyph for every printable character, and ink for all but space', () => {
    const shapes = printable.map((c) => glyphBitmap(c).join(''));
    expect(new Set(shapes).size).toBe(95);
    printable.slice(1).forEach((c) => expect(glyphBitmap(c).some((bit) => bit === 1), c).toBe(true));
    expect(glyphBitmap('é')).toEqual(glyphBitmap('?'));
  });

  it.each([1, 2, 3])('draws ink only inside the text box at scale %i', (scale) => {
    const text = 'ELBO -1234.5 (q): 42% = x_y/z, g+j';
    const r = createRaster(textWidth(text, scale) + 20, textHeight(scale) + 20);
    drawText(r, text, 10, 10, BLACK, { scale });
    const ink = inked(r);
    expect(ink.size).toBeGreaterThan(50 * scale);
    for (const key of ink) {
      const [x, y] = key.split(',').map(Number) as [number, number];
      expect(x >= 10 && x < 10 + textWidth(text, scale) && y >= 10 && y < 10 + textHeight(scale), key).toBe(true);
    }
    // The first column and the descender row are used: the box is tight.
    expect([...ink].some((key) => key.startsWith('10,'))).toBe(true);
    expect([...ink].some((key) => key.endsWith(`,${9 + textHeight(scale)}`))).toBe(true);
  });

  it('renders different characters differently and vertical text in the transposed box', () => {
    const render = (text: string, vertical = false) => {
      const r = createRaster(40, 40);
      drawText(r, text, 5, 5, BLACK, { scale: 2, vertical });
      return r;
    };
    expect(render('1').data).not.toEqual(render('l').data);
    expect(render('O').data).not.toEqual(render('0').data);
    for (const key of inked(render('ab', true))) {
      const [x, y] = key.split(',').map(Number) as [number, number];
      expect(x >= 5 && x < 5 + textHeight(2) && y >= 5 && y < 5 + textWidth('ab', 2)).toBe(true);
    }
  });

  it('measures text', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('A')).toBe(5);
    expect(textWidth('AB', 2)).toBe(22);
    expect(textHeight(3)).toBe(24);
  });
});

describe('encodePng', () => {
  it('decodes to the same size and pixels', () => {
    const r = createRaster(7, 3, WHITE);
    setPixel(r, 0, 0, RED);
    setPixel(r, 6, 2, BLACK);
    const png = decodePng(encodePng(r));
    expect([png.width, png.height]).toEqual([7, 3]);
    expect(png.pixel(0, 0)).toEqual([...RED]);
    expect(png.pixel(6, 2)).toEqual([0, 0, 0]);
    expect(png.pixel(3, 1)).toEqual([255, 255, 255]);
  });
});
