/** Patch extraction, image-set loading and the natural-image patch data set. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { defaultImagesDir } from '../../src/data/default-images.ts';
import type { GrayImage } from '../../src/data/gray-image.ts';
import { readImageFile } from '../../src/data/image-file.ts';
import { extractPatches, loadImageSet, naturalImagePatches } from '../../src/data/patches.ts';
import { whitenImage } from '../../src/data/whiten.ts';
import { Random } from '../../src/random.ts';
import { encodePng } from './png-writer.ts';

/** An image whose pixel (i, j) encodes its image index, row and column, so windows are recognisable. */
function labelled(m: number, width: number, height: number): GrayImage {
  const pixels = new Float64Array(width * height);
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) pixels[i * width + j] = 10000 * m + 100 * i + j;
  return { width, height, pixels, name: `image${m}` };
}

/**
 * The documented sampling written out again: one Random(seed).int(total windows) per sample; windows
 * numbered image by image, row by row.
 */
function expectedWindows(images: GrayImage[], patch: number, samples: number, seed: number): number[][] {
  const windows: [GrayImage, number, number][] = [];
  for (const image of images) {
    for (let top = 0; top + patch <= image.height; top++) {
      for (let left = 0; left + patch <= image.width; left++) windows.push([image, top, left]);
    }
  }
  const rng = new Random(seed);
  return Array.from({ length: samples }, () => {
    const [image, top, left] = windows[rng.int(windows.length)]!;
    const values: number[] = [];
    for (let i = 0; i < patch; i++)
      for (let j = 0; j < patch; j++) values.push(image.pixels[(top + i) * image.width + left + j]!);
    return values;
  });
}

describe('extractPatches', () => {
  const images = [labelled(0, 9, 7), labelled(1, 5, 12), labelled(2, 4, 4)];

  it('cuts exactly the windows at the positions the seed gives', () => {
    const patch = 4;
    const samples = 200;
    const x = extractPatches(images, { patch, samples, seed: 17 });
    expect(x).toBeInstanceOf(Float32Array);
    expect(x.length).toBe(samples * patch * patch);
    const expected = expectedWindows(images, patch, samples, 17);
    for (let s = 0; s < samples; s++) expect(Array.from(x.subarray(s * 16, (s + 1) * 16))).toEqual(expected[s]);
    // Every image is used, in proportion to its windows (6·4 = 24, 2·9 = 18, 1).
    const used = new Set(expected.map((w) => Math.floor(w[0]! / 10000)));
    expect(used).toEqual(new Set([0, 1, 2]));
  });

  it('is deterministic given the seed', () => {
    const a = extractPatches(images, { patch: 3, samples: 50, seed: 5 });
    expect(extractPatches(images, { patch: 3, samples: 50, seed: 5 })).toEqual(a);
    expect(extractPatches(images, { patch: 3, samples: 50, seed: 6 })).not.toEqual(a);
  });

  it('rejects a patch larger than an image, and bad counts', () => {
    expect(() => extractPatches(images, { patch: 5, samples: 10, seed: 0 })).toThrow(
      /patch size 5 is larger than image image2 \(4x4\)/,
    );
    expect(() => extractPatches(images, { patch: 5, samples: 10, seed: 0 })).toThrow(UserError);
    expect(() => extractPatches(images, { patch: 2, samples: 0, seed: 0 })).toThrow(UserError);
    expect(() => extractPatches([], { patch: 2, samples: 1, seed: 0 })).toThrow(UserError);
  });
});

/** A folder with two 8-bit gray PNGs (20×18 and 16×16) and a text file. */
function imageFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'esc-patches-'));
  const rng = new Random(9);
  const gray = (w: number, h: number) =>
    encodePng(
      w,
      h,
      0,
      8,
      Array.from({ length: w * h }, () => rng.int(256)),
    );
  writeFileSync(join(dir, 'b.png'), gray(20, 18));
  writeFileSync(join(dir, 'a.PNG'), gray(16, 16));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  return dir;
}

describe('loadImageSet', () => {
  it('loads a folder sorted by name, whitened (whole, no crop) unless asked not to', async () => {
    const dir = imageFolder();
    const raw = await loadImageSet(dir, { whiten: false });
    expect(raw.map((image) => [image.name, image.width, image.height])).toEqual([
      ['a.PNG', 16, 16],
      ['b.png', 20, 18],
    ]);
    const whitened = await loadImageSet(dir);
    expect(whitened.map((image) => [image.width, image.height])).toEqual([
      [16, 16],
      [20, 18],
    ]);
    expect(whitened[1]!.pixels).toEqual(whitenImage(raw[1]!).pixels);
  });

  it('names what is wrong with the source', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'esc-empty-'));
    await expect(loadImageSet(empty)).rejects.toThrow(/has no \.png\/\.jpg\/\.jpeg files/);
    mkdirSync(join(empty, 'sub.png')); // a folder with an image's name is no image
    writeFileSync(join(empty, 'readme.md'), 'text');
    await expect(loadImageSet(empty)).rejects.toThrow(UserError);
    await expect(loadImageSet(join(empty, 'missing'))).rejects.toThrow(/does not exist/);
    await expect(loadImageSet(join(empty, 'readme.md'))).rejects.toThrow(/is not a folder/);
  });

  it('uses a MAT-file as stored, without whitening or rescaling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esc-matset-'));
    const path = join(dir, 'IMAGES.mat');
    writeFileSync(path, tinyMat([2, 3], [1, 2, 3, 4, 5, 6]));
    const images = await loadImageSet(path);
    expect(images).toHaveLength(1);
    expect(Array.from(images[0]!.pixels)).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('loads the shipped images', async () => {
    const camera = readImageFile(join(defaultImagesDir, 'camera.png'));
    expect([camera.width, camera.height]).toEqual([512, 512]);
    const images = await loadImageSet(defaultImagesDir);
    expect(images.map((image) => image.name)).toEqual([
      'astronaut.png',
      'brick.png',
      'camera.png',
      'chelsea.png',
      'coffee.png',
      'grass.png',
      'gravel.png',
      'hubble_deep_field.jpg',
      'rocket.jpg',
    ]);
    expect(images.map((image) => `${image.width}x${image.height}`)).toEqual([
      '512x512',
      '512x512',
      '512x512',
      '451x300',
      '600x400',
      '512x512',
      '512x512',
      '1000x872',
      '640x427',
    ]);
    for (const image of images) {
      const mean = image.pixels.reduce((a, b) => a + b, 0) / image.pixels.length;
      const variance = image.pixels.reduce((a, b) => a + (b - mean) ** 2, 0) / image.pixels.length;
      expect(Math.abs(mean)).toBeLessThan(1e-9);
      expect(variance).toBeCloseTo(0.1, 9);
    }
  });
});

describe('naturalImagePatches', () => {
  it('combines loading and extraction, and describes what it did', async () => {
    const dir = imageFolder();
    const set = await naturalImagePatches({ source: dir, patch: 8, samples: 30, seed: 3 });
    expect([set.n, set.d, set.x.length]).toEqual([30, 64, 30 * 64]);
    expect(set.x).toEqual(extractPatches(await loadImageSet(dir), { patch: 8, samples: 30, seed: 3 }));
    const p = set.preprocessing;
    expect(p.sourceKind).toBe('image-folder');
    expect(p.images).toEqual([
      { name: 'a.PNG', width: 16, height: 16 },
      { name: 'b.png', width: 20, height: 18 },
    ]);
    expect(p.whitening).toMatchObject({ f0Factor: 0.4, variance: 0.1 });
    expect([p.patch, p.samples, p.seed]).toEqual([8, 30, 3]);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    const raw = await naturalImagePatches({ source: dir, patch: 8, samples: 30, seed: 3, whiten: false });
    expect(raw.preprocessing.whitening).toBe('none');
    expect(raw.preprocessing.images[1]).toEqual({ name: 'b.png', width: 20, height: 18 });
    expect(Math.min(...raw.x)).toBeGreaterThanOrEqual(0);
  });
});

/** A one-variable MAT v5 file (IMAGES, double, uncompressed), little-endian. */
function tinyMat(dims: number[], columnMajor: number[]): Buffer {
  const element = (type: number, data: Buffer) => {
    const out = Buffer.alloc(8 + Math.ceil(data.length / 8) * 8);
    out.writeUInt32LE(type, 0);
    out.writeUInt32LE(data.length, 4);
    data.copy(out, 8);
    return out;
  };
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(6, 0);
  const dimBytes = Buffer.alloc(4 * dims.length);
  dims.forEach((d, i) => dimBytes.writeInt32LE(d, 4 * i));
  const values = Buffer.alloc(8 * columnMajor.length);
  columnMajor.forEach((v, i) => values.writeDoubleLE(v, 8 * i));
  const matrix = element(
    14,
    Buffer.concat([element(6, flags), element(5, dimBytes), element(1, Buffer.from('IMAGES')), element(9, values)]),
  );
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126);
  return Buffer.concat([header, matrix]);
}
