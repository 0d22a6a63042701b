/**
 * The posterior parameters of all N points of a data set, kept in JavaScript arrays between E-steps
 * (EM-like learning and dictionary scoring visit the points a minibatch at a time). Rows are copied
 * in and out of the minibatch's tf.Variables; a point gets parameters on its first visit.
 */
import { initialArrays, pointSizes, type PointArrays, type PointLayout } from './posterior-variables.ts';

export class PointStore {
  /** one array per entry of `parameterShapes`, [N, ...] each */
  readonly arrays: PointArrays;
  /** 1 where a point has parameters */
  readonly fitted: Uint8Array;
  private readonly sizes: number[];

  constructor(
    readonly layout: PointLayout,
    readonly n: number,
  ) {
    this.sizes = pointSizes(layout);
    this.arrays = this.sizes.map((size) => new Float32Array(n * size));
    this.fitted = new Uint8Array(n);
  }

  /** The parameters of the given points, [rows.length, ...] each. */
  gather(rows: ArrayLike<number>): PointArrays {
    return this.arrays.map((array, k) => {
      const size = this.sizes[k]!;
      const out = new Float32Array(rows.length * size);
      for (let i = 0; i < rows.length; i++) out.set(array.subarray(rows[i]! * size, (rows[i]! + 1) * size), i * size);
      return out;
    });
  }

  /** Stores parameters of the given points and marks them fitted. */
  scatter(rows: ArrayLike<number>, values: PointArrays): void {
    this.arrays.forEach((array, k) => {
      const size = this.sizes[k]!;
      for (let i = 0; i < rows.length; i++) array.set(values[k]!.subarray(i * size, (i + 1) * size), rows[i]! * size);
    });
    for (let i = 0; i < rows.length; i++) this.fitted[rows[i]!] = 1;
  }

  /**
   * The parameters of the given points, where points without parameters start from `means()` (called
   * only if some do) and spread `std`.
   * @param means starting means of all the given points [rows.length, H]
   */
  gatherOrInitialise(rows: ArrayLike<number>, means: () => Float32Array, std: number): PointArrays {
    const values = this.gather(rows);
    const fresh: number[] = [];
    for (let i = 0; i < rows.length; i++) if (!this.fitted[rows[i]!]) fresh.push(i);
    if (fresh.length === 0) return values;
    const start = initialArrays(this.layout, means(), std, rows);
    values.forEach((array, k) => {
      const size = this.sizes[k]!;
      for (const i of fresh) array.set(start[k]!.subarray(i * size, (i + 1) * size), i * size);
    });
    return values;
  }
}
