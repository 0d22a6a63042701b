import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import type { NdArray } from '../../src/ndarray.ts';
import { readNpy, readNpyHeader, readNpyRows } from '../../src/npy/read.ts';
import { writeNpy } from '../../src/npy/write.ts';
import { Random } from '../../src/random.ts';
import { littleEndianBytes, scratchDir, writeNpyBytes } from './npy-files.ts';

const scratch = scratchDir();
afterAll(() => scratch.remove());

function randomArray(shape: number[], dtype: 'float32' | 'float64', seed: number): Float32Array | Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Random(seed);
  const values = Array.from({ length: n }, () => rng.normal() * 100);
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

describe('writeNpy / readNpy round trips', () => {
  const shapes = [[7], [1], [0], [4, 3], [1, 5], [0, 5], [5, 0], [2, 3, 4], [1, 2, 2], [0, 3, 3], []];
  for (const dtype of ['float32', 'float64'] as const)
    it.each(shapes.map((shape) => [shape]))(`${dtype} %j`, (shape) => {
      const path = scratch.path(`rt-${dtype}-${shape.join('x')}.npy`);
      const data = randomArray(shape, dtype, shape.length * 10 + shape.reduce((a, b) => a + b, 0));
      return (async () => {
        await writeNpy(path, { data, shape }, { dtype });
        const back = await readNpy(path);
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
        expect(Array.from(back.data)).toEqual(Array.from(data));
        // The bytes after the header are the values, little-endian, in C order.
        const header = await readNpyHeader(path);
        expect(header.dataOffset % 64).toBe(0);
        expect(
          Buffer.from(readFileSync(path).subarray(header.dataOffset)).equals(Buffer.from(littleEndianBytes(data))),
        ).toBe(true);
      })();
    });

  it('writes float32 by default and converts between precisions as asked', async () => {
    const values = Float64Array.of(0.1, -2.5, 1e-9, 3e38);
    await writeNpy(scratch.path('default.npy'), { data: values, shape: [2, 2] });
    const f32 = await readNpy(scratch.path('default.npy'));
    expect(f32.dtype).toBe('float32');
    expect(Array.from(f32.data)).toEqual(Array.from(Float32Array.from(values)));

    const single = Float32Array.of(0.1, 0.2, 0.3);
    await writeNpy(scratch.path('up.npy'), { data: single, shape: [3] }, { dtype: 'float64' });
    const f64 = await readNpy(scratch.path('up.npy'));
    expect(f64.data).toBeInstanceOf(Float64Array);
    expect(Array.from(f64.data)).toEqual(Array.from(single));
    expect(f64.data[0]).not.toBe(0.1); // the float32 value, widened exactly
  });

  it('writes exactly the bytes NumPy writes', async () => {
    const path = scratch.path('exact.npy');
    await writeNpy(path, { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    const text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + ' '.repeat(58) + '\n';
    const expected = Buffer.concat([
      Buffer.from('\x93NUMPY\x01\x00\x76\x00', 'latin1'),
      Buffer.from(text),
      Buffer.from(littleEndianBytes(Float32Array.of(1, 2, 3, 4, 5, 6))),
    ]);
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it('replaces an existing file atomically and leaves no temporary files', async () => {
    const path = scratch.path('atomic.npy');
    await writeNpy(path, { data: Float32Array.of(1, 2), shape: [2] });
    await writeNpy(path, { data: Float32Array.of(3, 4, 5), shape: [3] });
    expect(Array.from((await readNpy(path)).data)).toEqual([3, 4, 5]);
    expect(scratch.files().filter((f) => f.includes('.tmp-'))).toEqual([]);
    // A failed write (wrong length) leaves the old file alone.
    await expect(writeNpy(path, { data: Float32Array.of(1), shape: [2] })).rejects.toThrow(
      /1 values do not fill shape \[2\]/,
    );
    expect(Array.from((await readNpy(path)).data)).toEqual([3, 4, 5]);
    expect(scratch.files().filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('reports a missing output folder as a UserError', async () => {
    await expect(writeNpy(scratch.path('nope/out.npy'), { data: Float32Array.of(1), shape: [1] })).rejects.toThrow(
      new UserError(`${scratch.path('nope/out.npy')}: cannot write, its folder ${scratch.path('nope')} does not exist`),
    );
  });
});

describe('Fortran-order files', () => {
  /** Element [i, j, k] of the C-order array a[i][j][k] = 100i + 10j + k. */
  const value = (index: number[]) => index.reduce((acc, v) => acc * 10 + v, 0);

  function fortranData(shape: number[], dtype: 'float32' | 'float64'): Float32Array | Float64Array {
    const n = shape.reduce((a, b) => a * b, 1);
    const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    for (let f = 0; f < n; f++) {
      // Fortran order: the first index varies fastest.
      const index: number[] = [];
      let rest = f;
      for (const size of shape) {
        index.push(rest % size);
        rest = Math.floor(rest / size);
      }
      out[f] = value(index);
    }
    return out;
  }

  function cOrderValues(shape: number[]): number[] {
    const out: number[] = [];
    const walk = (prefix: number[]) => {
      if (prefix.length === shape.length) out.push(value(prefix));
      else for (let i = 0; i < shape[prefix.length]!; i++) walk([...prefix, i]);
    };
    walk([]);
    return out;
  }

  it.each([[[3, 4]], [[2, 3, 4]], [[4, 1, 3]], [[5]], [[1, 6]], [[2, 2, 2, 3]], [[0, 3]]])(
    'reads %j into C order',
    async (shape) => {
      const path = scratch.path(`fortran-${shape.join('x')}.npy`);
      const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
      writeNpyBytes(
        path,
        `{'descr': '<f8', 'fortran_order': True, 'shape': ${tuple}, }\n`,
        littleEndianBytes(fortranData(shape, 'float64')),
      );
      const array = await readNpy(path);
      expect(array.shape).toEqual(shape);
      expect(Array.from(array.data)).toEqual(cOrderValues(shape));
      // Streaming gives the same rows.
      const streamed: number[] = [];
      for await (const chunk of readNpyRows(path, { chunkRows: 2 })) streamed.push(...chunk.data);
      expect(streamed).toEqual(cOrderValues(shape));
    },
  );
});

describe('bad files', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
  const sixFloats = littleEndianBytes(Float32Array.of(1, 2, 3, 4, 5, 6));
  const readers: Array<[string, (path: string) => Promise<unknown>]> = [
    ['readNpy', readNpy],
    ['readNpyHeader', readNpyHeader],
    [
      'readNpyRows',
      async (path) => {
        for await (const chunk of readNpyRows(path, { chunkRows: 1 })) void chunk;
      },
    ],
  ];

  async function expectUserError(path: string, message: RegExp): Promise<void> {
    for (const [, read] of readers) {
      const error = await read(path).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  }

  it('missing file', async () => {
    const path = scratch.path('missing.npy');
    await expectUserError(path, /: no such file$/);
  });

  it('a folder', async () => {
    await expectUserError(scratch.dir, /is a folder/);
  });

  it('not an .npy file', async () => {
    const path = scratch.path('text.npy');
    writeFileSync(path, 'x,y\n1,2\n');
    await expectUserError(path, /not an \.npy file/);
    writeFileSync(path, '');
    await expectUserError(path, /not an \.npy file/);
  });

  it('unsupported version', async () => {
    const path = scratch.path('v4.npy');
    writeNpyBytes(path, header, sixFloats, [4, 0]);
    await expectUserError(path, /unsupported \.npy format version 4\.0/);
  });

  it('bad header', async () => {
    const path = scratch.path('badheader.npy');
    writeNpyBytes(path, "{'descr': '<f4', 'shape': (2, 3)}\n", sixFloats);
    await expectUserError(path, /bad \.npy header/);
  });

  it('header longer than the file', async () => {
    const path = scratch.path('shortheader.npy');
    writeFileSync(path, Buffer.from(readFileSync(scratch.path('exact.npy')).subarray(0, 60)));
    await expectUserError(path, /truncated \.npy header/);
  });

  it('wrong dtype', async () => {
    const path = scratch.path('int.npy');
    writeNpyBytes(path, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }\n", sixFloats);
    await expectUserError(path, /expected dtype float32 or float64, got '<i4'$/);
    writeNpyBytes(path, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", sixFloats);
    await expectUserError(path, /big-endian/);
  });

  it('truncated data and trailing bytes', async () => {
    const path = scratch.path('truncated.npy');
    writeNpyBytes(path, header, sixFloats.subarray(0, 20));
    await expectUserError(
      path,
      /float32 array of shape \[2, 3\] needs 24 bytes of data, the file has 20 \(truncated\?\)$/,
    );
    writeNpyBytes(path, header, new Uint8Array(28));
    await expectUserError(path, /needs 24 bytes of data, the file has 28$/);
  });

  it('a good file next to them reads fine', async () => {
    const path = scratch.path('good.npy');
    writeNpyBytes(path, header, sixFloats);
    const array: NdArray = await readNpy(path);
    expect(array).toEqual({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3], dtype: 'float32' });
    expect(existsSync(path)).toBe(true);
  });
});
