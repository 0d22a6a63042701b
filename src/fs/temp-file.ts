/**
 * The temporary files of atomic writes: `<target>.tmp-<pid>-<12 hex>` next to the target (a rename
 * is atomic only within one file system), then fsync and rename over the target. This process's
 * open temporary files are removed when it exits; a supervising process removes those of a child it
 * stopped (supervisor-channel.ts); those of a killed process are removed by the next run that locks
 * the folder (run-lock.ts). Errors of the file system become one-line UserErrors naming the path.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { checkOutputFile } from './output-dir.ts';
import { tellSupervisor } from './supervisor-channel.ts';

/** `<target>.tmp-<pid>-<12 hex>`: group 1 is the pid of the process that wrote it. */
export const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]{12}$/;

const open_ = new Set<string>();
const announced = new Set<string>();
process.on('exit', () => {
  for (const temp of open_) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
});

export interface TempFile {
  temp: string;
  handle: FileHandle;
}

/**
 * Creates the temporary file for `path`, refusing targets that are not regular files (a folder,
 * /dev/null), whose replacement would not be a write.
 */
export async function openTempFile(path: string): Promise<TempFile> {
  await checkOutputFile(path);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const folder = dirname(temp);
  if (!announced.has(folder)) {
    announced.add(folder);
    tellSupervisor({ kind: 'temp-folder', folder });
  }
  try {
    const handle = await open(temp, 'wx');
    open_.add(temp);
    return { temp, handle };
  } catch (error) {
    throw writeError(path, error);
  }
}

/** Renames a complete, flushed and closed temporary file over `path`; removes it if that fails. */
export async function placeTempFile(temp: string, path: string): Promise<void> {
  try {
    await rename(temp, path);
    open_.delete(temp);
  } catch (error) {
    await discardTempFile(temp);
    throw writeError(path, error);
  }
}

export async function discardTempFile(temp: string): Promise<void> {
  await rm(temp, { force: true });
  open_.delete(temp);
}

/**
 * Removes the temporary files in `folder` left by processes for which `isDead(pid)` holds (killed
 * mid-write); only names of the TEMP_NAME pattern are touched.
 * @returns the names removed
 */
export async function removeStaleTempFiles(folder: string, isDead: (pid: number) => boolean): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = TEMP_NAME.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && isDead(Number(pid));
  });
  await Promise.all(stale.map((name) => rm(join(folder, name), { force: true })));
  return stale;
}

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENAMETOOLONG: 'the name is too long',
  EXDEV: 'the temporary file and the target are on different file systems',
};

/** A file-system error while writing `path` as one line, or the error itself if it is unexpected. */
export function writeError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason ? new UserError(`${path}: cannot write, ${reason}`) : error;
}
