/**
 * The in-memory array every .npy reader and writer speaks: flat data in C (row-major) order plus its
 * shape, with a few helpers for the row view used by streamed files (rows = the first axis).
 */
import type { NpyDtype } from './npy/header.ts';

export type FloatArray = Float32Array | Float64Array;

export interface NdArray {
  /** elements in C order; length = product of `shape` */
  data: FloatArray;
  shape: number[];
  dtype: NpyDtype;
}

/** Number of elements of an array of this shape (1 for a 0-d shape). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/** Number of rows (first axis); a 0-d array counts as one row. */
export function rowCount(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[0]!;
}

/** Elements per row: the product of all axes but the first (1 for 0-d and 1-d shapes). */
export function rowSize(shape: readonly number[]): number {
  return elementCount(shape.slice(1));
}

/** The shape as written in messages, e.g. "[2, 3]". */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
