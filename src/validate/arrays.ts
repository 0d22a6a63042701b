/**
 * Validation of arrays at the boundary (files, requests): shapes, finiteness, positivity. Each check
 * throws one UserError naming the file and the first bad position; code inside trusts what passed.
 */
import { UserError } from '../errors.ts';
import { shapeText } from '../ndarray.ts';

/** The largest finite float32: a float64 value beyond it would become ±Infinity in float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The index of a flat position in an array of `shape` (rows offset by `firstRow`), as "[i, j, …]". */
export function positionText(flat: number, shape: readonly number[], firstRow = 0): string {
  const index: number[] = [];
  let rest = flat;
  for (let k = shape.length - 1; k > 0; k--) {
    index.unshift(rest % shape[k]!);
    rest = Math.floor(rest / shape[k]!);
  }
  index.unshift(rest + firstRow);
  return shapeText(index);
}

/**
 * Data rows [N, D] with N, D > 0.
 * @returns [N, D]
 */
export function checkRows(shape: readonly number[], name: string, role = 'data rows'): [number, number] {
  if (shape.length !== 2) throw new UserError(`${name}: expected ${role} [N, D], got shape ${shapeText(shape)}`);
  const [n, d] = shape as [number, number];
  if (n === 0 || d === 0) throw new UserError(`${name}: ${role} are empty (shape ${shapeText(shape)})`);
  return [n, d];
}

/**
 * Every value finite and within float32's range (the computation is float32).
 * @param shape the array's shape, for naming the position (its first axis may be a chunk's rows)
 * @param firstRow the row of the chunk's first entry in the whole array
 */
export function checkFinite(data: ArrayLike<number>, name: string, shape: readonly number[], firstRow = 0): void {
  if (data instanceof Float32Array && allFinite(data)) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX) continue;
    const what = Number.isFinite(v) ? `value ${v} is beyond float32's range (±3.4e38)` : `non-finite value ${v}`;
    throw new UserError(`${name}: ${what} at ${positionText(i, shape, firstRow)}`);
  }
}

/**
 * Whether every value of a float32 array is finite (it cannot hold a finite value beyond float32's
 * range): x·0 is 0 for a finite x and NaN otherwise, so one sum without a branch tells, about twice
 * as fast as testing each value (a service checks every row it is sent).
 */
function allFinite(data: Float32Array): boolean {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]! * 0;
  return sum === 0;
}

/** Every value > 0 (standard deviations, scales). */
export function checkPositive(
  data: ArrayLike<number>,
  name: string,
  shape: readonly number[],
  what: string,
  firstRow = 0,
): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i]! > 0) continue;
    throw new UserError(`${name}: ${what} must be > 0, got ${data[i]} at ${positionText(i, shape, firstRow)}`);
  }
}

/**
 * A dictionary [D, H] whose D matches the data's and whose columns can be normalised.
 * @param w row-major [D, H]
 */
export function checkDictionary(
  w: ArrayLike<number>,
  shape: readonly number[],
  name: string,
  data?: { name: string; d: number },
): [number, number] {
  if (shape.length !== 2) throw new UserError(`${name}: weights must be [D, H], got shape ${shapeText(shape)}`);
  if (shape[0] === 0 || shape[1] === 0)
    throw new UserError(`${name}: weights must be [D, H] with D, H > 0, got shape ${shapeText(shape)}`);
  const [d, h] = shape as [number, number];
  if (data) checkDictionaryWidth(d, name, data);
  checkFinite(w, name, shape);
  for (let k = 0; k < h; k++) {
    let norm = 0;
    for (let i = 0; i < d; i++) norm += w[i * h + k]! ** 2;
    if (!(norm > 0)) throw new UserError(`${name}: column ${k} is all zeros and cannot be normalised`);
  }
  return [d, h];
}

/** A dictionary's D rows against the data's D columns. */
export function checkDictionaryWidth(d: number, name: string, data: { name: string; d: number }): void {
  if (d !== data.d)
    throw new UserError(`weights ${name} has D=${d} rows but data ${data.name} has D=${data.d} columns`);
}

/** The width of rows given to a model: D must match the model's. */
export function checkWidth(d: number, expected: number, name: string, model: string): void {
  if (d !== expected) throw new UserError(`${name} has D=${d} columns but ${model} expects D=${expected}`);
}
