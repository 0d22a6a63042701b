/**
 * Reading .npy files: the header alone, the whole array, or a stream of row chunks that never holds
 * the whole file. Every file is validated when opened (magic, version, header, dtype, and a data
 * length that matches the shape), so readers downstream get well-formed arrays in C order.
 */
import { constants as bufferConstants } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { UserError } from '../errors.ts';
import { elementCount, rowCount, rowSize, shapeText, type FloatArray, type NdArray } from '../ndarray.ts';
import { fortranToC, sameInBothOrders } from './fortran-order.ts';
import {
  itemSize,
  NPY_PREAMBLE_BYTES,
  parseNpyHeader,
  parseNpyPreamble,
  type NpyDtype,
  type NpyHeader,
} from './header.ts';

export interface NpyRowChunk {
  /** index of the chunk's first row */
  start: number;
  /** the rows [rows, ...shape[1:]] in C order */
  data: FloatArray;
  rows: number;
}

/** One read call stays well below Node's 2 GiB limit per read. */
const MAX_READ_BYTES = 1 << 30;

if (endianness() !== 'LE') throw new Error('the .npy reader assumes a little-endian machine');

/** Reads and validates the header (and that the file's length matches it). */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  const { handle, header } = await openNpy(path);
  await handle.close();
  return header;
}

/** Reads the whole array, converting Fortran-order data to C order. */
export async function readNpy(path: string): Promise<NdArray> {
  const { handle, header } = await openNpy(path);
  try {
    const count = elementCount(header.shape);
    const bytes = count * itemSize(header.dtype);
    if (bytes > bufferConstants.MAX_LENGTH)
      throw new UserError(`${path}: ${shapeText(header.shape)} array of ${bytes} bytes is too large to load at once`);
    let data = allocate(header.dtype, count);
    await readFully(handle, bytesOf(data), header.dataOffset, path);
    if (header.fortranOrder && !sameInBothOrders(header.shape)) data = fortranToC(data, header.shape);
    return { data, shape: header.shape, dtype: header.dtype };
  } finally {
    await handle.close();
  }
}

/**
 * Parses a whole .npy file held in memory (a request body), with the checks of a file on disk.
 * @param name what the bytes are, for messages (e.g. "request body")
 */
export function parseNpyBytes(bytes: Uint8Array, name: string): NdArray {
  const header = parseNpyHeader(bytes, name);
  const count = elementCount(header.shape);
  const expected = count * itemSize(header.dtype);
  const actual = bytes.length - header.dataOffset;
  if (actual !== expected)
    throw new UserError(
      `${name}: ${header.dtype} array of shape ${shapeText(header.shape)} needs ${expected} bytes of data, got ${actual}`,
    );
  // A copy: the data of a body need not be aligned for a typed array view.
  let data = allocate(header.dtype, count);
  bytesOf(data).set(bytes.subarray(header.dataOffset));
  if (header.fortranOrder && !sameInBothOrders(header.shape)) data = fortranToC(data, header.shape);
  return { data, shape: header.shape, dtype: header.dtype };
}

/**
 * Streams an array of rank ≥ 1 in chunks of whole rows (rows = the first axis), holding one chunk
 * at a time. Fortran-order files are read column strip by column strip, one read per element of a
 * row, so they stream correctly but slowly when rows are long.
 * @param options.chunkRows rows per chunk (the last chunk may have fewer)
 */
export async function* readNpyRows(path: string, options: { chunkRows: number }): AsyncGenerator<NpyRowChunk> {
  const { chunkRows } = options;
  if (!(Number.isInteger(chunkRows) && chunkRows > 0))
    throw new RangeError(`readNpyRows: chunkRows must be a positive integer, got ${chunkRows}`);
  const { handle, header } = await openNpy(path);
  try {
    if (header.shape.length === 0) throw new UserError(`${path}: expected an array of rows, got a 0-d array`);
    const n = rowCount(header.shape);
    const perRow = rowSize(header.shape);
    const size = itemSize(header.dtype);
    const strips = header.fortranOrder && !sameInBothOrders(header.shape);
    for (let start = 0; start < n; start += chunkRows) {
      const rows = Math.min(chunkRows, n - start);
      let data = allocate(header.dtype, rows * perRow);
      if (!strips) await readFully(handle, bytesOf(data), header.dataOffset + start * perRow * size, path);
      else {
        // In Fortran order the rows [start, start + rows) of the m-th strip (all rows, one element
        // of the rest) sit at start + n·m: gather them into a Fortran-order chunk, then reorder.
        for (let m = 0; m < perRow; m++)
          await readFully(
            handle,
            bytesOf(data.subarray(m * rows, (m + 1) * rows)),
            header.dataOffset + (start + n * m) * size,
            path,
          );
        data = fortranToC(data, [rows, ...header.shape.slice(1)]);
      }
      yield { start, data, rows };
    }
  } finally {
    await handle.close();
  }
}

/** Opens `path` and validates its header and length; the caller closes the handle. */
async function openNpy(path: string): Promise<{ handle: FileHandle; header: NpyHeader }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new UserError(`${path}: is a folder, not an .npy file`);
    const size = stats.size;
    const preamble = new Uint8Array(Math.min(size, NPY_PREAMBLE_BYTES));
    await readFully(handle, preamble, 0, path);
    const { dataOffset } = parseNpyPreamble(preamble, path);
    if (size < dataOffset) throw new UserError(`${path}: truncated .npy header`);
    const headerBytes = new Uint8Array(dataOffset);
    await readFully(handle, headerBytes, 0, path);
    const header = parseNpyHeader(headerBytes, path);
    const expected = elementCount(header.shape) * itemSize(header.dtype);
    const actual = size - dataOffset;
    if (actual !== expected)
      throw new UserError(
        `${path}: ${header.dtype} array of shape ${shapeText(header.shape)} needs ${expected} bytes of data, the file has ${actual}` +
          (actual < expected ? ' (truncated?)' : ''),
      );
    return { handle, header };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fileError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${path}: no such file`);
  if (code === 'EISDIR') return new UserError(`${path}: is a folder, not an .npy file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${path}: permission denied`);
  return error instanceof Error ? error : new Error(String(error));
}

function allocate(dtype: NpyDtype, count: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
}

function bytesOf(array: FloatArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Fills `target` from `position` on; a short file (changed since it was validated) is an error. */
async function readFully(handle: FileHandle, target: Uint8Array, position: number, path: string): Promise<void> {
  for (let done = 0; done < target.length;) {
    const length = Math.min(target.length - done, MAX_READ_BYTES);
    const { bytesRead } = await handle.read(target, done, length, position + done);
    if (bytesRead === 0) throw new UserError(`${path}: file ended early (truncated?)`);
    done += bytesRead;
  }
}
