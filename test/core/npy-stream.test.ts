import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy, readNpyRows } from '../../src/npy/read.ts';
import { createNpyWriter, writeNpy } from '../../src/npy/write.ts';
import { Random } from '../../src/random.ts';
import { scratchDir } from './npy-files.ts';

const scratch = scratchDir();
afterAll(() => scratch.remove());

const tempFiles = () => scratch.files().filter((f) => f.includes('.tmp-'));

function randomRows(n: number, cols: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n * cols }, () => rng.normal());
}

describe('readNpyRows', () => {
  it('streams 3001 rows in chunks of 128 that equal the whole read', async () => {
    const path = scratch.path('rows.npy');
    const data = randomRows(3001, 7, 1);
    await writeNpy(path, { data, shape: [3001, 7] }, { dtype: 'float64' });
    const whole = await readNpy(path);
    const chunks: Array<{ start: number; rows: number; length: number }> = [];
    const joined = new Float64Array(3001 * 7);
    for await (const chunk of readNpyRows(path, { chunkRows: 128 })) {
      expect(chunk.data).toBeInstanceOf(Float64Array);
      chunks.push({ start: chunk.start, rows: chunk.rows, length: chunk.data.length });
      joined.set(chunk.data, chunk.start * 7);
    }
    expect(chunks.length).toBe(24);
    expect(chunks.every((c, i) => c.start === i * 128 && c.length === c.rows * 7)).toBe(true);
    expect(chunks.at(-1)).toEqual({ start: 2944, rows: 57, length: 57 * 7 });
    expect(joined).toEqual(whole.data);
    expect(joined).toEqual(data);
  });

  it('streams 3-D arrays row by row, and nothing from an empty array', async () => {
    const path = scratch.path('cube.npy');
    const data = Float32Array.from(randomRows(10, 12, 2));
    await writeNpy(path, { data, shape: [10, 3, 4] });
    const seen: number[] = [];
    for await (const chunk of readNpyRows(path, { chunkRows: 3 })) {
      expect(chunk.data).toEqual(data.subarray(chunk.start * 12, (chunk.start + chunk.rows) * 12));
      seen.push(chunk.rows);
    }
    expect(seen).toEqual([3, 3, 3, 1]);

    await writeNpy(scratch.path('empty.npy'), { data: new Float32Array(), shape: [0, 5] });
    const chunks = [];
    for await (const chunk of readNpyRows(scratch.path('empty.npy'), { chunkRows: 4 })) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });

  it('refuses 0-d arrays and bad chunk sizes', async () => {
    await writeNpy(scratch.path('scalar.npy'), { data: Float32Array.of(3), shape: [] });
    await expect(readNpyRows(scratch.path('scalar.npy'), { chunkRows: 1 }).next()).rejects.toThrow(
      /scalar\.npy: expected an array of rows, got a 0-d array/,
    );
    await expect(readNpyRows(scratch.path('cube.npy'), { chunkRows: 0 }).next()).rejects.toThrow(RangeError);
  });
});

describe('NpyWriter', () => {
  it('writes 2500 rows in uneven chunks, converting float64 to float32, byte-identical to writeNpy', async () => {
    const data = randomRows(2500, 6, 3);
    const path = scratch.path('streamed.npy');
    const writer = await createNpyWriter(path, { shape: [2500, 6] });
    expect(writer.dtype).toBe('float32');
    const rng = new Random(4);
    for (let row = 0; row < 2500;) {
      const rows = Math.min(2500 - row, 1 + rng.int(200));
      await writer.write(data.subarray(row * 6, (row + rows) * 6));
      row += rows;
      if (row < 2500) expect(tempFiles().length).toBe(1);
    }
    expect(writer.rowsWritten).toBe(2500);
    await writer.close();
    expect(tempFiles()).toEqual([]);

    const whole = scratch.path('whole.npy');
    await writeNpy(whole, { data, shape: [2500, 6] });
    expect(readFileSync(path).equals(readFileSync(whole))).toBe(true);
    const back = await readNpy(path);
    expect(back.dtype).toBe('float32');
    expect(back.data).toEqual(Float32Array.from(data));
  });

  it('keeps the order of writes that are not awaited one by one', async () => {
    const path = scratch.path('queued.npy');
    const writer = await createNpyWriter(path, { shape: [400, 2], dtype: 'float64' });
    const pending = [];
    for (let row = 0; row < 400; row++) pending.push(writer.write([row, -row]));
    await Promise.all(pending);
    await writer.close();
    const back = await readNpy(path);
    expect(Array.from(back.data)).toEqual(Array.from({ length: 800 }, (_, i) => (i % 2 ? -(i >> 1) : i >> 1)));
  });

  it('target appears only on close, so a crash mid-write leaves no partial target', async () => {
    const path = scratch.path('late.npy');
    const writer = await createNpyWriter(path, { shape: [2, 2] });
    await writer.write(Float32Array.of(1, 2));
    expect(scratch.files()).not.toContain('late.npy');
    expect(tempFiles()).toEqual([expect.stringMatching(new RegExp(`^late\\.npy\\.tmp-${process.pid}-[0-9a-f]{12}$`))]);
    await writer.write(Float32Array.of(3, 4));
    await writer.close();
    expect(scratch.files()).toContain('late.npy');
    expect(tempFiles()).toEqual([]);
  });

  it('closing with rows missing is an error, leaves the old target and no temporary file', async () => {
    const path = scratch.path('short.npy');
    await writeNpy(path, { data: Float32Array.of(9), shape: [1] });
    const writer = await createNpyWriter(path, { shape: [3, 2] });
    await writer.write(Float32Array.of(1, 2, 3, 4));
    await expect(writer.close()).rejects.toThrow(/closed after 2 of 3 rows of shape \[3, 2\]/);
    expect(tempFiles()).toEqual([]);
    expect(Array.from((await readNpy(path)).data)).toEqual([9]);
  });

  it('refuses too many rows and partial rows, and abort discards', async () => {
    const path = scratch.path('abort.npy');
    const writer = await createNpyWriter(path, { shape: [2, 3] });
    expect(() => writer.write(Float32Array.of(1, 2))).toThrow(/not whole rows of 3/);
    await writer.write(new Float32Array(6));
    expect(() => writer.write(new Float32Array(3))).toThrow(/3 rows written but the shape \[2, 3\] has 2/);
    await writer.abort();
    expect(scratch.files()).not.toContain('abort.npy');
    expect(tempFiles()).toEqual([]);
    expect(() => writer.write(new Float32Array(3))).toThrow(/write after close or abort/);
  });
});
