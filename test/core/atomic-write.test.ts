/** writeFileAtomic: content round-trips and no temporary files are left behind. */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';

const freshDir = () => mkdtemp(join(tmpdir(), 'atomic-write-'));

describe('writeFileAtomic', () => {
  it('writes bytes and strings and leaves only the target', async () => {
    const dir = await freshDir();
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
    await writeFileAtomic(join(dir, 'a.bin'), bytes);
    await writeFileAtomic(join(dir, 'b.txt'), 'λ σ² — text\n');
    expect(new Uint8Array(await readFile(join(dir, 'a.bin')))).toEqual(bytes);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('λ σ² — text\n');
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'b.txt']);
  });

  it('replaces an existing file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'f.txt');
    await writeFile(path, 'old content that is longer');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['f.txt']);
  });

  it('rejects and removes its temporary file when the rename fails', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'taken'));
    await mkdir(join(dir, 'taken', 'child'));
    await expect(writeFileAtomic(join(dir, 'taken'), 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });

  it('rejects when the folder does not exist', async () => {
    const dir = await freshDir();
    await expect(writeFileAtomic(join(dir, 'missing', 'f.txt'), 'x')).rejects.toThrow(
      /f\.txt: cannot write, its folder .*missing does not exist/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
