/**
 * Reads the image stack of a MATLAB v5 MAT-file, such as Olshausen's IMAGES.mat (variable IMAGES,
 * 512×512×10 doubles, already whitened). Handles uncompressed (miMATRIX) and zlib-compressed
 * (miCOMPRESSED) variables in either byte order, and numeric data stored in any numeric type
 * (MATLAB saves doubles as smaller integer types when that loses nothing).
 * Format: "MAT-File Format", The MathWorks, R2024a, chapter 1.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { inflateSync } from 'node:zlib';
import { UserError } from '../errors.ts';
import type { GrayImage } from './gray-image.ts';

// Data types of data elements (MAT-File Format, Table 1-1).
const miINT8 = 1;
const miUINT32 = 6;
const miINT32 = 5;
const miMATRIX = 14;
const miCOMPRESSED = 15;

/** Bytes per value of each numeric data type. */
const numericTypeBytes: Readonly<Record<number, number>> = {
  1: 1, // miINT8
  2: 1, // miUINT8
  3: 2, // miINT16
  4: 2, // miUINT16
  5: 4, // miINT32
  6: 4, // miUINT32
  7: 4, // miSINGLE
  9: 8, // miDOUBLE
  12: 8, // miINT64
  13: 8, // miUINT64
};

// Array classes (Table 1-3): 6 double, 7 single, 8-15 int8 … uint64 are numeric.
const classNames: Readonly<Record<number, string>> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single',
  8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
};
const isNumericClass = (c: number): boolean => c >= 6 && c <= 15;

interface Element {
  type: number;
  /** Offset of the element's data in its view. */
  start: number;
  size: number;
  /** Offset of the next element. */
  next: number;
}

/** A byte range read in the file's byte order. */
class Reader {
  constructor(
    readonly view: DataView,
    readonly littleEndian: boolean,
    readonly file: string,
  ) {}

  /** The data element tag at `pos` (both the normal and the 4-byte "small element" format). */
  element(pos: number, limit: number): Element {
    if (pos + 8 > limit) throw new UserError(`MAT-file ${this.file} is truncated (data element at byte ${pos})`);
    const first = this.view.getUint32(pos, this.littleEndian);
    const small = first >>> 16;
    if (small !== 0) return { type: first & 0xffff, start: pos + 4, size: small, next: pos + 8 };
    const size = this.view.getUint32(pos + 4, this.littleEndian);
    if (pos + 8 + size > limit) throw new UserError(`MAT-file ${this.file} is truncated (element of ${size} bytes at byte ${pos})`);
    // Elements are padded to 8 bytes, except compressed ones, which are followed directly by the next.
    const padded = first === miCOMPRESSED ? size : Math.ceil(size / 8) * 8;
    return { type: first, start: pos + 8, size, next: Math.min(pos + 8 + padded, limit) };
  }

  /** The values of a numeric element as doubles. */
  numbers(e: Element): Float64Array {
    const bytes = numericTypeBytes[e.type];
    if (bytes === undefined) throw new UserError(`MAT-file ${this.file}: data of type ${e.type} is not numeric`);
    const n = Math.floor(e.size / bytes);
    const out = new Float64Array(n);
    const v = this.view;
    const le = this.littleEndian;
    const get: (p: number) => number = {
      1: (p: number) => v.getInt8(p),
      2: (p: number) => v.getUint8(p),
      3: (p: number) => v.getInt16(p, le),
      4: (p: number) => v.getUint16(p, le),
      5: (p: number) => v.getInt32(p, le),
      6: (p: number) => v.getUint32(p, le),
      7: (p: number) => v.getFloat32(p, le),
      9: (p: number) => v.getFloat64(p, le),
      12: (p: number) => Number(v.getBigInt64(p, le)),
      13: (p: number) => Number(v.getBigUint64(p, le)),
    }[e.type]!;
    for (let i = 0, p = e.start; i < n; i++, p += bytes) out[i] = get(p);
    return out;
  }
}

/** The wanted variable: its matrix element and the reader of the (possibly inflated) bytes holding it. */
interface Found {
  reader: Reader;
  matrix: Element;
}

/**
 * Reads a stack of images from a MAT-file variable of size rows × cols × K (or rows × cols).
 * @param path a MATLAB v5 (or v6/v7, i.e. not v7.3) MAT-file
 * @param variable the variable's name
 * @returns K images of rows × cols, row-major, values as stored
 */
export function readMatImages(path: string, variable = 'IMAGES'): GrayImage[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read MAT-file ${path}: ${(e as Error).message}`);
  }
  return parseMatImages(bytes, path, variable);
}

/**
 * As `readMatImages`, from the file's bytes.
 * @param bytes the whole MAT-file
 * @param file the file's name, for messages
 */
export function parseMatImages(bytes: Uint8Array, file: string, variable = 'IMAGES'): GrayImage[] {
  const reader = openMatFile(bytes, file);
  const names: string[] = [];
  let found: Found | undefined;
  for (let pos = 128; pos + 8 <= bytes.length && !found; ) {
    const e = reader.element(pos, bytes.length);
    pos = e.next;
    let r = reader;
    let matrix = e;
    if (e.type === miCOMPRESSED) {
      r = inflateElement(reader, e);
      matrix = r.element(0, r.view.byteLength);
    }
    if (matrix.type !== miMATRIX || matrix.size === 0) continue;
    const name = variableName(r, matrix);
    names.push(name);
    if (name === variable) found = { reader: r, matrix };
  }
  if (!found) {
    const seen = names.length ? names.join(', ') : 'none';
    throw new UserError(`MAT-file ${file} has no variable ${variable} (variables: ${seen})`);
  }
  return matrixImages(found.reader, found.matrix, `${basename(file)} ${variable}`);
}

/** Checks the 128-byte header and returns a reader over the whole file. */
function openMatFile(bytes: Uint8Array, file: string): Reader {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 116)).toString('latin1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hdf5 = bytes.length >= 520 && view.getUint32(512) === 0x89484446; // "\x89HDF" at the user block's end
  if (text.startsWith('MATLAB 7.3') || hdf5) {
    throw new UserError(
      `MAT-file ${file} is a v7.3 (HDF5) file, which is not supported: re-save it with save(name, 'IMAGES', '-v7') in MATLAB or scipy.io.savemat`,
    );
  }
  if (bytes.length < 128 || !text.startsWith('MATLAB')) throw new UserError(`${file} is not a MATLAB v5 MAT-file (no MATLAB header)`);
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (endian !== 'IM' && endian !== 'MI') throw new UserError(`MAT-file ${file} has an unknown byte order mark '${endian}'`);
  const reader = new Reader(view, endian === 'IM', file);
  const version = view.getUint16(124, reader.littleEndian);
  if (version !== 0x0100) throw new UserError(`MAT-file ${file} has version 0x${version.toString(16)}; only v5 files (0x0100) are supported`);
  return reader;
}

function inflateElement(reader: Reader, e: Element): Reader {
  const v = reader.view;
  let inflated: Buffer;
  try {
    inflated = inflateSync(new Uint8Array(v.buffer, v.byteOffset + e.start, e.size));
  } catch (err) {
    throw new UserError(`MAT-file ${reader.file} has a corrupt compressed variable: ${(err as Error).message}`);
  }
  return new Reader(new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength), reader.littleEndian, reader.file);
}

/** Sub-elements of a miMATRIX: array flags, dimensions, name, real part, [imaginary part]. */
function subElements(r: Reader, matrix: Element, count: number): Element[] {
  const end = matrix.start + matrix.size;
  const out: Element[] = [];
  for (let pos = matrix.start; out.length < count; ) {
    const e = r.element(pos, end);
    out.push(e);
    pos = e.next;
  }
  return out;
}

function variableName(r: Reader, matrix: Element): string {
  const [, , name] = subElements(r, matrix, 3);
  if (name!.type !== miINT8 && name!.type !== 2) throw new UserError(`MAT-file ${r.file} has a malformed variable name`);
  return Buffer.from(r.view.buffer, r.view.byteOffset + name!.start, name!.size).toString('latin1');
}

/**
 * Turns a numeric rows × cols × K array (column-major in the file) into K row-major images:
 * image k's pixel at row i, column j is element i + rows·j + rows·cols·k.
 */
function matrixImages(r: Reader, matrix: Element, label: string): GrayImage[] {
  const [flags, dimsElement] = subElements(r, matrix, 2);
  if (flags!.type !== miUINT32 || flags!.size !== 8) throw new UserError(`${label}: malformed array flags in ${r.file}`);
  const flagWord = r.view.getUint32(flags!.start, r.littleEndian);
  const arrayClass = flagWord & 0xff;
  if (!isNumericClass(arrayClass)) {
    throw new UserError(`${label} is a ${classNames[arrayClass] ?? `class-${arrayClass}`} array; expected a numeric (double) array`);
  }
  if (flagWord & 0x800) throw new UserError(`${label} is complex; expected a real array`);
  if (dimsElement!.type !== miINT32) throw new UserError(`${label}: malformed dimensions in ${r.file}`);
  const dims = Array.from(r.numbers(dimsElement!));
  if (dims.length < 2 || (dims.length > 3 && dims.slice(3).some((d) => d !== 1))) {
    throw new UserError(`${label} has dimensions ${dims.join('x')}; expected rows x cols x images (rank 2 or 3)`);
  }
  const [rows, cols, k = 1] = dims as [number, number, number?];
  if (rows * cols * k === 0) throw new UserError(`${label} is empty (${dims.join('x')})`);
  const real = subElements(r, matrix, 4)[3]!;
  const data = r.numbers(real);
  if (data.length !== rows * cols * k) {
    throw new UserError(`${label} has ${data.length} values but dimensions ${dims.join('x')} need ${rows * cols * k}`);
  }
  const images: GrayImage[] = [];
  for (let m = 0; m < k; m++) {
    const pixels = new Float64Array(rows * cols);
    const base = rows * cols * m;
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < rows; i++) pixels[i * cols + j] = data[base + i + rows * j]!;
    }
    images.push({ width: cols, height: rows, pixels, name: `${label}(:,:,${m + 1})` });
  }
  return images;
}
