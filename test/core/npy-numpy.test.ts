/**
 * Cross-checks with NumPy itself where python3 with numpy is installed (skipped otherwise): files
 * NumPy writes read back right, and files we write load in NumPy byte-identical to its own.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/npy/read.ts';
import { writeNpy } from '../../src/npy/write.ts';
import { scratchDir } from './npy-files.ts';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const scratch = scratchDir();
afterAll(() => scratch.remove());

function python(script: string): string {
  const result = spawnSync('python3', ['-c', script], { cwd: scratch.dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

describe.skipIf(!hasNumpy)('NumPy interoperability', () => {
  it('reads what NumPy writes', async () => {
    python(`
import numpy as np
from numpy.lib import format as f
a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3
np.save('c.npy', a.astype(np.float32))
np.save('fortran.npy', np.asfortranarray(a))
np.save('empty.npy', np.zeros((0, 5), np.float32))
np.save('row.npy', a.reshape(1, 24))
with open('v3.npy', 'wb') as fp: f.write_array(fp, a[0], version=(3, 0))
with open('v2.npy', 'wb') as fp: f.write_array(fp, a[1].astype(np.float32), version=(2, 0))
np.save('big-endian.npy', a.astype('>f4'))
`);
    const a = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    expect(await readNpy(scratch.path('c.npy'))).toEqual({
      data: Float32Array.from(a),
      shape: [2, 3, 4],
      dtype: 'float32',
    });
    expect(await readNpy(scratch.path('fortran.npy'))).toEqual({
      data: Float64Array.from(a),
      shape: [2, 3, 4],
      dtype: 'float64',
    });
    expect(await readNpy(scratch.path('empty.npy'))).toEqual({
      data: new Float32Array(),
      shape: [0, 5],
      dtype: 'float32',
    });
    expect(await readNpy(scratch.path('row.npy'))).toEqual({
      data: Float64Array.from(a),
      shape: [1, 24],
      dtype: 'float64',
    });
    expect(await readNpy(scratch.path('v3.npy'))).toEqual({
      data: Float64Array.from(a.slice(0, 12)),
      shape: [3, 4],
      dtype: 'float64',
    });
    expect(await readNpy(scratch.path('v2.npy'))).toEqual({
      data: Float32Array.from(a.slice(12)),
      shape: [3, 4],
      dtype: 'float32',
    });
    await expect(readNpy(scratch.path('big-endian.npy'))).rejects.toThrow(/big-endian dtype '>f4'/);
  });

  it('writes what NumPy writes', async () => {
    const data = Float64Array.from({ length: 30 }, (_, i) => i * 0.37 - 2); // the same IEEE operations in NumPy
    await writeNpy(scratch.path('ours32.npy'), { data, shape: [5, 6] });
    await writeNpy(scratch.path('ours64.npy'), { data, shape: [2, 5, 3] }, { dtype: 'float64' });
    await writeNpy(scratch.path('ours-empty.npy'), { data: new Float32Array(), shape: [0, 5] });
    const out = python(`
import numpy as np
x = np.arange(30) * 0.37 - 2
for name, ref in [('ours32', x.astype(np.float32).reshape(5, 6)), ('ours64', x.reshape(2, 5, 3)), ('ours-empty', np.zeros((0, 5), np.float32))]:
    ours = np.load(name + '.npy')
    np.save('ref-' + name + '.npy', ref)
    same_bytes = open(name + '.npy', 'rb').read() == open('ref-' + name + '.npy', 'rb').read()
    print(name, ours.dtype, ours.shape, bool(np.array_equal(ours, ref)), same_bytes)
`);
    expect(out.trim().split('\n')).toEqual([
      'ours32 float32 (5, 6) True True',
      'ours64 float64 (2, 5, 3) True True',
      'ours-empty float32 (0, 5) True True',
    ]);
  });
});
