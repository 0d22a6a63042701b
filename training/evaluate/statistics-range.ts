/**
 * Inputs that are finite can still overflow the float32 computation (a data value 1e20 squares to
 * 1e40, a standard deviation 1e-25 squares to 0): each point's statistics are checked, and a point
 * whose statistics are not finite is reported by its most extreme input value, with its file.
 */
import { UserError } from '@entropy-sc/core/errors';
import { FLOAT32_MAX, positionText } from '@entropy-sc/core/validate/arrays';

export interface RowInput {
  path: string;
  /** the chunk's rows, row-major */
  data: ArrayLike<number>;
  /** the file's shape (its first axis the number of points) */
  shape: readonly number[];
}

/**
 * @param stats the chunk's statistics: scaledM [B, H], squaredError [B], logDet [B]
 * @param start the chunk's first point in the files
 */
export function checkStatisticsFinite(
  stats: { scaledM: ArrayLike<number>; squaredError: ArrayLike<number>; logDet: ArrayLike<number> },
  inputs: RowInput[],
  start: number,
): void {
  const rows = stats.squaredError.length;
  const h = stats.scaledM.length / rows;
  for (let i = 0; i < rows; i++) {
    let bad: string | null = null;
    if (!Number.isFinite(stats.squaredError[i]!)) bad = `squared error ${stats.squaredError[i]}`;
    else if (!Number.isFinite(stats.logDet[i]!)) bad = `log det T ${stats.logDet[i]}`;
    else
      for (let k = 0; k < h && !bad; k++)
        if (!Number.isFinite(stats.scaledM[i * h + k]!)) bad = `s·M(ν/s) ${stats.scaledM[i * h + k]} of latent ${k}`;
    if (bad)
      throw new UserError(
        `${extremeValue(inputs, i, start)} is beyond what the float32 computation can hold: point ${start + i} gets ${bad}`,
      );
  }
}

/** The input value of row `i` farthest from 1 in orders of magnitude, as "<file>: value v at [..]". */
function extremeValue(inputs: RowInput[], i: number, start: number): string {
  let best = { text: `point ${start + i}`, magnitude: -1 };
  for (const input of inputs) {
    const perRow = rowLength(input.shape);
    for (let j = i * perRow; j < (i + 1) * perRow; j++) {
      const v = input.data[j]!;
      const magnitude = v === 0 ? -1 : Math.abs(Math.log10(Math.abs(v)));
      if (magnitude > best.magnitude)
        best = { text: `${input.path}: the value ${short(v)} at ${positionText(j, input.shape, start)}`, magnitude };
    }
  }
  return best.text;
}

/** Rows [N, D] whose squared norms overflow float32 (every statistic holds ‖x_n‖²): one line naming the value. */
export function checkSquaredNorms(x: ArrayLike<number>, n: number, d: number, path: string): void {
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * d; j < (i + 1) * d; j++) sum += x[j]! * x[j]!;
    if (sum > FLOAT32_MAX)
      throw new UserError(
        `${extremeValue([{ path, data: x, shape: [n, d] }], i, 0)} is beyond what the float32 computation can hold: row ${i} has ‖x‖² = ${short(sum)}`,
      );
  }
}

/** Six significant digits: float32 data read back as float64 would show its rounding otherwise. */
function short(v: number): string {
  const rounded = Number(v.toPrecision(6));
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? rounded.toExponential() : String(rounded);
}

function rowLength(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Sets the entries above the diagonal of every H×H block to 0 (they are ignored, cli.md). */
export function zeroUpperTriangles(data: Float32Array | Float64Array, h: number): void {
  for (let block = 0; block < data.length; block += h * h)
    for (let r = 0; r < h; r++) for (let c = r + 1; c < h; c++) data[block + r * h + c] = 0;
}
