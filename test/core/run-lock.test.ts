/** The run-folder lock: one owner at a time, stale locks and the temporary files of dead owners taken over. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_NAME, lockRunDir, lockedRunDirs } from '../../src/fs/run-lock.ts';
import { tempDir } from '../helpers/cli.ts';

/** The pid of a process that has exited. */
const deadPid = () =>
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;

describe('run lock', () => {
  it('refuses a second owner while held and is gone once released', async () => {
    const dir = tempDir();
    const lock = await lockRunDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
    });
    expect(lockedRunDirs()).toContain(dir);
    await expect(lockRunDir(dir)).rejects.toThrow(
      new RegExp(`is in use by another entropy-sc run \\(pid ${process.pid} on `),
    );
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
    expect(lockedRunDirs()).not.toContain(dir);
  });

  it('takes over the lock of a dead owner and removes only its temporary files', async () => {
    const dir = tempDir();
    const pid = deadPid();
    writeFileSync(
      join(dir, LOCK_NAME),
      JSON.stringify({ pid: Number(pid), host: hostname(), start: null, since: 'then', command: 'train' }),
    );
    writeFileSync(join(dir, `metrics.jsonl.tmp-${pid}-0123456789ab`), 'partial');
    writeFileSync(join(dir, `mine.tmp-${pid}-notours`), 'user file');
    writeFileSync(join(dir, 'metrics.jsonl'), 'kept');
    const lock = await lockRunDir(dir);
    expect(readdirSync(dir).sort()).toEqual([LOCK_NAME, 'metrics.jsonl', `mine.tmp-${pid}-notours`].sort());
    await lock.release();
    expect(existsSync(join(dir, LOCK_NAME))).toBe(false);
  });

  it('does not take over a live owner on another host, and says how to clear it', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, LOCK_NAME),
      JSON.stringify({ pid: 1, host: 'elsewhere', start: null, since: 'then', command: 'train' }),
    );
    await expect(lockRunDir(dir)).rejects.toThrow(/pid 1 on elsewhere.*if that run is gone, delete .*entropy-sc\.lock/);
  });
});
