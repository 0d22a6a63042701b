/**
 * The lock of a run folder: one process at a time writes a run. The lock file holds the owner's pid,
 * host and process start time; it is removed when the owner releases it or exits. A lock whose owner
 * is gone (same host, no such process, or the pid now belongs to a younger process) is stale and is
 * taken over, and the temporary files that owner left are removed.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { discardTempFile, openTempFile, removeStaleTempFiles } from './temp-file.ts';

export const LOCK_NAME = 'entropy-sc.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** the owner's start time in clock ticks since boot (Linux), null elsewhere */
  start: string | null;
  since: string;
  command: string;
}

export interface RunLock {
  readonly dir: string;
  release(): Promise<void>;
}

const held = new Map<string, LockOwner>();
process.on('exit', () => {
  for (const dir of held.keys()) releaseSync(dir);
});

/** The run folders this process holds locked (where an error report belongs). */
export function lockedRunDirs(): string[] {
  return [...held.keys()];
}

/** Locks the existing folder `dir` for this process, or throws one line naming the owner. */
export async function lockRunDir(dir: string): Promise<RunLock> {
  const path = join(dir, LOCK_NAME);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    start: startTime(process.pid),
    since: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
  };
  for (let attempt = 0; ; attempt++) {
    if (await create(path, me)) break;
    const owner = await readOwner(path);
    if (owner && !isGone(owner)) {
      throw new UserError(
        `${dir} is in use by another entropy-sc run (pid ${owner.pid} on ${owner.host}, since ${owner.since}); wait for it to end or choose another --out` +
          (owner.host === me.host ? '' : `; if that run is gone, delete ${path}`),
      );
    }
    if (attempt > 0)
      throw new UserError(`${dir}: cannot take the lock ${path}; delete it if no entropy-sc run uses this folder`);
    await rm(path, { force: true }); // stale, or unreadable: a write cut short
  }
  held.set(dir, me);
  await removeStaleTempFiles(dir, (pid) => !isAlive(pid));
  return { dir, release: async () => releaseSync(dir) };
}

/** Creates the lock with its content in one step (a hard link to a complete file); false if it exists. */
async function create(path: string, owner: LockOwner): Promise<boolean> {
  const { temp, handle } = await openTempFile(path);
  try {
    await handle.writeFile(JSON.stringify(owner) + '\n');
    await handle.sync();
    await handle.close();
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UserError(`${path}: cannot create the run lock (${(error as NodeJS.ErrnoException).code})`);
  } finally {
    await handle.close().catch(() => undefined);
    await discardTempFile(temp);
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? owner : null;
  } catch {
    return null;
  }
}

function isGone(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell
  if (!isAlive(owner.pid)) return true;
  const start = startTime(owner.pid);
  return owner.start !== null && start !== null && start !== owner.start;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised name, which may hold spaces). */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function releaseSync(dir: string): void {
  const me = held.get(dir);
  if (!me) return;
  held.delete(dir);
  const path = join(dir, LOCK_NAME);
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    if (owner.pid === me.pid && owner.since === me.since) unlinkSync(path);
  } catch {
    // gone already
  }
}
