/** PNG and JPEG decoding to grayscale luminance in [0, 1]. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { decodeImage, readImageFile } from '../../src/data/image-file.ts';
import { encodePng } from './png-writer.ts';

const luminance = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

function expectPixels(actual: Float64Array, expected: number[], tolerance = 1e-12) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, p) => expect(Math.abs(actual[p]! - e)).toBeLessThanOrEqual(tolerance));
}

describe('decodeImage (PNG)', () => {
  // A 3 wide × 2 high image: the orientation is checked by asymmetric values.
  const w = 3;
  const h = 2;

  it('reads 8-bit gray row-major', () => {
    const image = decodeImage(encodePng(w, h, 0, 8, [0, 51, 102, 153, 204, 255]), 'g8.png');
    expect([image.width, image.height, image.name]).toEqual([3, 2, 'g8.png']);
    expectPixels(image.pixels, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('keeps 16-bit gray precision', () => {
    const image = decodeImage(encodePng(w, h, 0, 16, [0, 1, 257, 32768, 65534, 65535]), 'g16.png');
    expectPixels(
      image.pixels,
      [0, 1, 257, 32768, 65534, 65535].map((v) => v / 65535),
    );
  });

  it('reads 1-bit gray', () => {
    const image = decodeImage(encodePng(w, h, 0, 1, [1, 0, 1, 0, 0, 1]), 'g1.png');
    expectPixels(image.pixels, [1, 0, 1, 0, 0, 1]);
  });

  it('ignores alpha in gray+alpha', () => {
    const image = decodeImage(encodePng(w, h, 4, 8, [10, 0, 20, 255, 30, 7, 40, 0, 50, 255, 60, 128]), 'ga.png');
    expectPixels(
      image.pixels,
      [10, 20, 30, 40, 50, 60].map((v) => v / 255),
    );
  });

  it('converts RGB and RGBA to luminance', () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 255, 255, 255, 0, 0, 0];
    const expected = [0, 1, 2, 3, 4, 5].map((p) => luminance(rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!) / 255);
    expectPixels(decodeImage(encodePng(w, h, 2, 8, rgb), 'rgb.png').pixels, expected);
    const rgba = [0, 1, 2, 3, 4, 5].flatMap((p) => [rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 100]);
    expectPixels(decodeImage(encodePng(w, h, 6, 8, rgba), 'rgba.png').pixels, expected);
    const rgb16 = rgb.map((v) => v * 257);
    expectPixels(decodeImage(encodePng(w, h, 2, 16, rgb16), 'rgb16.png').pixels, expected);
  });

  it('reads palette images', () => {
    const palette: [number, number, number][] = [
      [0, 0, 0],
      [255, 128, 0],
      [12, 34, 56],
    ];
    const indices = [2, 1, 0, 0, 1, 2];
    const image = decodeImage(encodePng(w, h, 3, 4, indices, palette), 'pal.png');
    expectPixels(
      image.pixels,
      indices.map((i) => luminance(...palette[i]!) / 255),
    );
  });

  it('rejects a corrupt PNG with a UserError naming the file', () => {
    const png = encodePng(w, h, 0, 8, [0, 1, 2, 3, 4, 5]);
    const broken = png.subarray(0, png.length - 30);
    expect(() => decodeImage(broken, 'broken.png')).toThrow(UserError);
    expect(() => decodeImage(broken, 'broken.png')).toThrow(/broken\.png/);
  });
});

describe('decodeImage (JPEG) and readImageFile', () => {
  it('reads a JPEG as luminance, close to the encoded values', () => {
    const width = 16;
    const height = 8;
    const data = Buffer.alloc(width * height * 4);
    for (let p = 0; p < width * height; p++) data.set([(p % width) * 16, 90, 200 - (p % width) * 8, 255], 4 * p);
    const bytes = jpeg.encode({ width, height, data }, 100).data;
    const image = decodeImage(bytes, 'ramp.jpg');
    expect([image.width, image.height]).toEqual([16, 8]);
    for (let p = 0; p < width * height; p++) {
      const expected = luminance(data[4 * p]!, data[4 * p + 1]!, data[4 * p + 2]!) / 255;
      expect(Math.abs(image.pixels[p]! - expected)).toBeLessThan(0.03);
    }
  });

  it('reads files and rejects what is not a PNG or JPEG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esc-image-'));
    writeFileSync(join(dir, 'a.png'), encodePng(2, 1, 0, 8, [0, 255]));
    writeFileSync(join(dir, 'b.png'), 'not an image');
    expectPixels(readImageFile(join(dir, 'a.png')).pixels, [0, 1]);
    expect(() => readImageFile(join(dir, 'b.png'))).toThrow(/b\.png is neither a PNG nor a JPEG/);
    expect(() => readImageFile(join(dir, 'missing.png'))).toThrow(UserError);
    expect(() => decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]), 'cut.jpg')).toThrow(/cut\.jpg/);
  });
});
