/**
 * Column-major (Fortran-order) .npy data, converted to the C order every other module assumes.
 */
import type { FloatArray } from '../ndarray.ts';

/** Whether Fortran and C order lay this shape out identically (at most one axis longer than 1). */
export function sameInBothOrders(shape: readonly number[]): boolean {
  return shape.filter((size) => size > 1).length <= 1;
}

/**
 * Reorders column-major data into row-major data.
 * @param data elements in Fortran order, length = product of shape
 * @param shape the array's shape, any rank
 * @returns a new array of the same type in C order
 */
export function fortranToC(data: FloatArray, shape: readonly number[]): FloatArray {
  const out = data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length);
  const rank = shape.length;
  const strides: number[] = [];
  for (let axis = 0, stride = 1; axis < rank; stride *= shape[axis]!, axis++) strides.push(stride);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let to = 0; to < out.length; to++) {
    out[to] = data[from]!;
    // Odometer over the C-order index, last axis fastest, tracking the Fortran offset.
    for (let axis = rank - 1; axis >= 0; axis--) {
      from += strides[axis]!;
      if (++index[axis]! < shape[axis]!) break;
      from -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}
