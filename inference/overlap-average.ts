/**
 * An image rebuilt from its windows: each pixel the average of the values the windows covering it
 * give it (W̃·ν per window, for the reconstruction).
 */

/** An image's size and its window origins (as ImagePatches has them). */
export interface WindowGrid {
  width: number;
  height: number;
  tops: readonly number[];
  lefts: readonly number[];
}

/**
 * @param values per window [tops · lefts, P²], each window row-major
 * @returns [height * width] row-major; a pixel no window covers is 0
 */
export function overlapAverage(grid: WindowGrid, values: Float32Array, p: number): Float64Array {
  const { width, height, tops, lefts } = grid;
  const sum = new Float64Array(width * height);
  const count = new Uint16Array(width * height);
  let k = 0;
  for (const top of tops)
    for (const left of lefts) {
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          const at = (top + i) * width + left + j;
          sum[at]! += values[k * p * p + i * p + j]!;
          count[at]!++;
        }
      k++;
    }
  for (let at = 0; at < sum.length; at++) if (count[at]! > 0) sum[at]! /= count[at]!;
  return sum;
}
