import { describe, expect, it } from 'vitest';
import { barsDictionary } from '../../src/data/bars.ts';
import { barsRecovery } from '../../src/metrics/bars-recovery.ts';
import { Random } from '../../src/random.ts';

const SIZE = 5;
const D = SIZE * SIZE;
const H = 2 * SIZE;

/** Column k of a row-major [rows, cols] matrix. */
const column = (m: ArrayLike<number>, rows: number, cols: number, k: number) =>
  Array.from({ length: rows }, (_, i) => m[i * cols + k]!);
const absCosine = (a: number[], b: number[]) => {
  const dot = a.reduce((s, v, i) => s + v * b[i]!, 0);
  return Math.abs(dot) / Math.hypot(...a) / Math.hypot(...b);
};

/** Builds a [rows, columns.length] row-major matrix from columns. */
function fromColumns(columns: number[][], rows: number): Float64Array {
  const out = new Float64Array(rows * columns.length);
  columns.forEach((col, k) => col.forEach((v, i) => (out[i * columns.length + k] = v)));
  return out;
}

describe('barsRecovery', () => {
  const truth = barsDictionary(SIZE);

  it('recovers the ground truth itself up to permutation, sign and scale', () => {
    const rng = new Random(3);
    const order = rng.permutation(H);
    const learned = fromColumns(
      Array.from(order, (bar, k) => {
        const scale = (k % 2 ? -1 : 1) * (0.1 + 3 * rng.uniform());
        return column(truth, D, H, bar).map((v) => v * scale);
      }),
      D,
    );
    const result = barsRecovery(Float32Array.from(learned), D, H, truth, H);
    expect(result.recovered).toBe(H);
    expect(result.total).toBe(H);
    expect(result.allRecovered).toBe(true);
    expect(result.matches.map((m) => m.bar)).toEqual(Array.from({ length: H }, (_, i) => i));
    for (const m of result.matches) {
      expect(order[m.learned]).toBe(m.bar);
      expect(m.cosine).toBeCloseTo(1, 6);
    }
  });

  it('finds the one-to-one matching where greedy best-first pairing falls short', () => {
    // Two true fields 16° apart; learned A at 2° (close to both), learned B at −12° (close to the first only).
    const unit = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180), 0];
    const trueFields = fromColumns([unit(0), unit(16)], 3);
    const learned = fromColumns([unit(2), unit(-12)], 3);

    // Greedy: take the best remaining pair with |cos| ≥ 0.95 until none is left.
    const pairs = [0, 1].flatMap((l) =>
      [0, 1].map((t) => ({ l, t, c: absCosine(column(learned, 3, 2, l), column(trueFields, 3, 2, t)) })),
    );
    const usedL = new Set<number>();
    const usedT = new Set<number>();
    for (const p of pairs.filter((p) => p.c >= 0.95).sort((a, b) => b.c - a.c))
      if (!usedL.has(p.l) && !usedT.has(p.t)) {
        usedL.add(p.l);
        usedT.add(p.t);
      }
    expect(usedT.size).toBe(1);

    const result = barsRecovery(learned, 3, 2, trueFields, 2);
    expect(result.recovered).toBe(2);
    expect(result.allRecovered).toBe(true);
    expect(result.matches).toEqual([
      { learned: 1, bar: 0, cosine: expect.closeTo(Math.cos((12 * Math.PI) / 180), 12) },
      { learned: 0, bar: 1, cosine: expect.closeTo(Math.cos((14 * Math.PI) / 180), 12) },
    ]);
  });

  it('misses the bars whose only copies are too noisy', () => {
    const rng = new Random(4);
    const columns = Array.from({ length: H }, (_, k) => {
      const amount = k === 3 || k === 7 ? 0.45 : 0.05;
      return column(truth, D, H, k).map((v) => v + amount * rng.normal());
    });
    const cosines = columns.map((col, k) => absCosine(col, column(truth, D, H, k)));
    expect(cosines[3]).toBeLessThan(0.95);
    expect(cosines[7]).toBeLessThan(0.95);
    expect(cosines.filter((_, k) => k !== 3 && k !== 7).every((c) => c >= 0.95)).toBe(true);

    const result = barsRecovery(fromColumns(columns, D), D, H, truth, H);
    expect(result.recovered).toBe(H - 2);
    expect(result.allRecovered).toBe(false);
    expect(result.matches.map((m) => m.bar)).toEqual([0, 1, 2, 4, 5, 6, 8, 9]);
    for (const m of result.matches) {
      expect(m.learned).toBe(m.bar);
      expect(m.cosine).toBeCloseTo(cosines[m.bar]!, 10);
    }
    // A lower threshold lets them in.
    expect(barsRecovery(fromColumns(columns, D), D, H, truth, H, Math.min(...cosines) - 1e-9).allRecovered).toBe(true);
  });

  it('handles more learned fields than bars, including zero and duplicate columns', () => {
    const rng = new Random(5);
    const columns: number[][] = [];
    for (let k = 0; k < H; k++) columns.push(column(truth, D, H, k));
    columns.push(column(truth, D, H, 0).map((v) => 2 * v)); // a second copy of bar 0
    columns.push(new Array<number>(D).fill(0));
    for (let k = 0; k < 8; k++) columns.push(Array.from({ length: D }, () => rng.normal()));
    const order = rng.permutation(columns.length);
    const learned = fromColumns(
      Array.from(order, (k) => columns[k]!),
      D,
    );

    const result = barsRecovery(learned, D, columns.length, truth, H);
    expect(result).toMatchObject({ recovered: H, total: H, allRecovered: true });
    const learnedUsed = new Set(result.matches.map((m) => m.learned));
    expect(learnedUsed.size).toBe(H);
    for (const m of result.matches)
      expect(order[m.learned] === m.bar || (m.bar === 0 && order[m.learned] === H)).toBe(true);
    expect(result.matches.every((m) => Number.isFinite(m.cosine))).toBe(true);

    // Fewer learned fields than bars: at most that many recovered.
    const few = barsRecovery(fromColumns(columns.slice(0, 4), D), D, 4, truth, H);
    expect(few).toMatchObject({ recovered: 4, total: H, allRecovered: false });
  });

  it('refuses arrays that do not match their stated shapes', () => {
    expect(() => barsRecovery(new Float32Array(10), D, H, truth, H)).toThrow(RangeError);
    expect(() => barsRecovery(truth, D, H, new Float64Array(3), H)).toThrow(RangeError);
  });
});
