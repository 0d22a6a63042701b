/** The MAT-file reader against MAT-files built byte by byte here (MAT-File Format, v5). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { parseMatImages, readMatImages } from '../../src/data/matlab.ts';

type DataType = 'double' | 'uint8' | 'int16' | 'single';
const typeCode: Record<DataType, [number, number]> = { double: [9, 8], uint8: [2, 1], int16: [3, 2], single: [7, 4] };

interface Variable {
  name: string;
  dims: number[];
  /** Column-major values. */
  values: number[];
  storedAs?: DataType;
  arrayClass?: number;
  complex?: boolean;
  compressed?: boolean;
}

/** A tiny MAT v5 writer: header plus one element per variable. */
function writeMat(variables: Variable[], { bigEndian = false, headerText = 'MATLAB 5.0 MAT-file, test' } = {}): Buffer {
  const le = !bigEndian;
  const pad8 = (n: number) => Math.ceil(n / 8) * 8;
  const element = (type: number, data: Buffer): Buffer => {
    if (data.length <= 4 && data.length > 0) {
      const out = Buffer.alloc(8);
      const view = new DataView(out.buffer);
      view.setUint32(0, (data.length << 16) | type, le); // small data element
      data.copy(out, 4);
      return out;
    }
    const out = Buffer.alloc(8 + pad8(data.length));
    const view = new DataView(out.buffer);
    view.setUint32(0, type, le);
    view.setUint32(4, data.length, le);
    data.copy(out, 8);
    return out;
  };
  const numbers = (values: number[], type: DataType): Buffer => {
    const [, size] = typeCode[type];
    const out = Buffer.alloc(values.length * size);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => {
      if (type === 'double') view.setFloat64(i * 8, v, le);
      else if (type === 'single') view.setFloat32(i * 4, v, le);
      else if (type === 'int16') view.setInt16(i * 2, v, le);
      else view.setUint8(i, v);
    });
    return out;
  };
  const parts: Buffer[] = [];
  const header = Buffer.alloc(128, 0x20);
  header.write(headerText, 0, 'latin1');
  const headerView = new DataView(header.buffer);
  headerView.setBigUint64(116, 0n);
  headerView.setUint16(124, 0x0100, le);
  header.write(bigEndian ? 'MI' : 'IM', 126, 'latin1'); // 'IM' when written little-endian
  parts.push(header);
  for (const v of variables) {
    const flags = Buffer.alloc(8);
    new DataView(flags.buffer).setUint32(0, (v.arrayClass ?? 6) | (v.complex ? 0x800 : 0), le);
    const dims = Buffer.alloc(4 * v.dims.length);
    v.dims.forEach((d, i) => new DataView(dims.buffer).setInt32(4 * i, d, le));
    const storedAs = v.storedAs ?? 'double';
    const body = Buffer.concat([
      element(6, flags),
      element(5, dims),
      element(1, Buffer.from(v.name, 'latin1')),
      element(typeCode[storedAs][0], numbers(v.values, storedAs)),
    ]);
    const matrix = element(14, body);
    if (v.compressed) {
      // miCOMPRESSED: the zlib stream of the whole miMATRIX element, not padded to 8 bytes.
      const zipped = deflateSync(matrix);
      const tag = Buffer.alloc(8);
      new DataView(tag.buffer).setUint32(0, 15, le);
      new DataView(tag.buffer).setUint32(4, zipped.length, le);
      parts.push(tag, zipped);
    } else parts.push(matrix);
  }
  return Buffer.concat(parts);
}

// A 2×3×2 array, A(i,j,k) = 100k + 10i + j (1-based), stored column-major: asymmetric in every axis.
const rows = 2;
const cols = 3;
const pages = 2;
const columnMajor: number[] = [];
for (let k = 1; k <= pages; k++)
  for (let j = 1; j <= cols; j++) for (let i = 1; i <= rows; i++) columnMajor.push(100 * k + 10 * i + j);
const expectedImages = [
  [111, 112, 113, 121, 122, 123],
  [211, 212, 213, 221, 222, 223],
];
const images = (vars: Variable[], options?: { bigEndian?: boolean }) =>
  parseMatImages(writeMat(vars, options), 'test.mat');

describe('parseMatImages', () => {
  const base: Variable = { name: 'IMAGES', dims: [rows, cols, pages], values: columnMajor };

  it('reads an uncompressed double array with the right orientation', () => {
    const out = images([base]);
    expect(out).toHaveLength(2);
    out.forEach((image, k) => {
      expect([image.width, image.height]).toEqual([cols, rows]);
      expect(Array.from(image.pixels)).toEqual(expectedImages[k]);
    });
    expect(out[1]!.name).toBe('test.mat IMAGES(:,:,2)');
  });

  it('reads a compressed variable after others, in either byte order', () => {
    const other: Variable = { name: 'X', dims: [1, 2], values: [5, 6] };
    for (const bigEndian of [false, true]) {
      const out = images([other, { ...base, compressed: true }], { bigEndian });
      expect(out.map((image) => Array.from(image.pixels))).toEqual(expectedImages);
      const plain = images([{ ...other, compressed: true }, base], { bigEndian });
      expect(plain.map((image) => Array.from(image.pixels))).toEqual(expectedImages);
    }
  });

  it('converts doubles stored as smaller types', () => {
    for (const storedAs of ['uint8', 'int16', 'single'] as const) {
      const out = images([{ ...base, storedAs, compressed: storedAs === 'int16' }]);
      expect(out.map((image) => Array.from(image.pixels))).toEqual(expectedImages);
    }
    const negative = images([{ name: 'IMAGES', dims: [1, 2], values: [-3, 7], storedAs: 'int16' }]);
    expect(Array.from(negative[0]!.pixels)).toEqual([-3, 7]);
  });

  it('reads a 2-D array as one image', () => {
    const out = images([{ name: 'IMAGES', dims: [2, 2], values: [1, 2, 3, 4] }]);
    expect(out).toHaveLength(1);
    expect(Array.from(out[0]!.pixels)).toEqual([1, 3, 2, 4]);
  });

  it('names what is wrong', () => {
    expect(() => images([{ ...base, name: 'IMAGESr' }])).toThrow(/no variable IMAGES \(variables: IMAGESr\)/);
    expect(() => images([{ ...base, dims: [1, 2, 3, 2], values: new Array(12).fill(0) }])).toThrow(
      /dimensions 1x2x3x2/,
    );
    expect(() => images([{ ...base, arrayClass: 4 }])).toThrow(/char array/);
    expect(() => images([{ ...base, complex: true }])).toThrow(/complex/);
    expect(() => images([{ ...base, values: columnMajor.slice(1) }])).toThrow(/11 values/);
    const v73 = writeMat([base], { headerText: 'MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00' });
    expect(() => parseMatImages(v73, 'big.mat')).toThrow(/big\.mat is a v7\.3 \(HDF5\)/);
    expect(() => parseMatImages(Buffer.from('hello'), 'x.mat')).toThrow(/x\.mat is not a MATLAB v5 MAT-file/);
    const truncated = writeMat([base]).subarray(0, 200);
    expect(() => parseMatImages(truncated, 't.mat')).toThrow(/t\.mat is truncated/);
    const corrupt = writeMat([{ ...base, compressed: true }]);
    corrupt.fill(0x55, 140, 150);
    expect(() => parseMatImages(corrupt, 'c.mat')).toThrow(UserError);
  });

  it('reads from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esc-mat-'));
    const path = join(dir, 'IMAGES.mat');
    writeFileSync(path, writeMat([{ ...base, compressed: true }]));
    expect(readMatImages(path).map((image) => Array.from(image.pixels))).toEqual(expectedImages);
    expect(() => readMatImages(join(dir, 'none.mat'))).toThrow(/cannot read MAT-file/);
  });
});
