/** Checkpoint files: exact round trip, and clear errors for missing, foreign or truncated files. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../../training/checkpoint/checkpoint-file.ts';
import { tempDir } from '../../helpers/cli.ts';

describe('checkpoint files', () => {
  it('round-trip state and arrays exactly, leaving no temporary files', async () => {
    const dir = tempDir();
    const path = join(dir, 'c.ckpt');
    const arrays = {
      a: Float32Array.of(1, -2.5, Math.PI),
      empty: new Float32Array(0),
      b: Float32Array.from({ length: 1001 }, (_, i) => i / 7),
    };
    const state = { epoch: 3, rng: { s: [1, 2, 3, 4], spare: null }, note: 'ünïcödé' };
    await saveCheckpoint(path, { state, arrays });
    const loaded = await loadCheckpoint<typeof state>(path);
    expect(loaded.state).toEqual(state);
    expect(loaded.arrays).toEqual(arrays);
    expect(readdirSync(dir)).toEqual(['c.ckpt']);
  });

  it('replaces an older checkpoint atomically', async () => {
    const path = join(tempDir(), 'c.ckpt');
    await saveCheckpoint(path, { state: { epoch: 1 }, arrays: { w: Float32Array.of(1) } });
    await saveCheckpoint(path, { state: { epoch: 2 }, arrays: { w: Float32Array.of(2) } });
    expect((await loadCheckpoint<{ epoch: number }>(path)).state.epoch).toBe(2);
  });

  it('names the problem with a missing, foreign or truncated file', async () => {
    const dir = tempDir();
    await expect(loadCheckpoint(join(dir, 'none.ckpt'))).rejects.toThrow(/none\.ckpt: no checkpoint/);
    writeFileSync(join(dir, 'foreign.ckpt'), 'PK\x03\x04 not ours');
    await expect(loadCheckpoint(join(dir, 'foreign.ckpt'))).rejects.toThrow(
      /foreign\.ckpt: not an entropy-sc checkpoint/,
    );
    const path = join(dir, 'cut.ckpt');
    await saveCheckpoint(path, { state: {}, arrays: { w: new Float32Array(100) } });
    writeFileSync(path, readFileSync(path).subarray(0, -40));
    await expect(loadCheckpoint(path)).rejects.toThrow(
      /cut\.ckpt: the checkpoint is damaged \(its SHA-256 checksum does not match/,
    );
  });
});
