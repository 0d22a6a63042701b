/**
 * Output paths. Folders (`--out DIR`) are created one level at a time from the deepest folder that exists, so a
 * path that cannot be created fails at once with one line. (Node's recursive mkdir loops forever
 * under /proc, and its errors for a file, /dev/null or "" are stack traces.)
 */
import { constants } from 'node:fs';
import { access, mkdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** File systems whose folders hold no files: statfs magic numbers (linux/magic.h). */
const VIRTUAL_FILE_SYSTEMS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x64626720: 'debugfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x73636673: 'securityfs',
};

/**
 * Refuses an output file path that is empty or names something other than a regular file (a folder,
 * /dev/null): replacing it would not be a write.
 * @param flag the option that named it, for messages
 */
export async function checkOutputFile(path: string, flag?: string): Promise<void> {
  const name = flag ? `${flag} ${path}` : path;
  if (path.trim() === '') throw new UserError(`${flag ?? 'output file'}: the file name is empty`);
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isFile())
    throw new UserError(
      `${name}: ${existing.isDirectory() ? 'is a folder' : 'is not a regular file'}; give the path of a file to write`,
    );
  const folder = await stat(dirname(path)).catch(() => null);
  if (!folder?.isDirectory()) throw new UserError(`${name}: cannot write, its folder ${dirname(path)} does not exist`);
}

/**
 * Makes sure `dir` is a folder this process can write into, creating it (and missing parents).
 * @param flag the option that named it, for messages
 */
export async function makeOutputDir(dir: string, flag = '--out'): Promise<void> {
  for (const folder of await checkOutputDir(dir, flag)) {
    await mkdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return; // made by another process meanwhile
      throw new UserError(
        `${flag} ${dir}: cannot create ${folder} (${error.code === 'ENOSPC' ? 'no space left on the device' : error.code})`,
      );
    });
  }
}

/**
 * The checks of makeOutputDir without creating anything (a command checks its --out before loading
 * its data, and creates it only once the run can start).
 * @returns the folders that are missing, outermost first
 */
export async function checkOutputDir(dir: string, flag = '--out'): Promise<string[]> {
  if (dir.trim() === '') throw new UserError(`${flag}: the folder name is empty`);
  const missing: string[] = [];
  let existing = resolve(dir);
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => {
      // ENOTDIR: an ancestor is a file, which the walk up names
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
      throw new UserError(`${flag} ${dir}: cannot use ${existing} (${error.code})`);
    });
    if (info) {
      if (!info.isDirectory())
        throw new UserError(
          `${flag} ${dir}: ${existing} ${info.isFile() ? 'is a file' : 'is not a folder'}; give a folder`,
        );
      break;
    }
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const fileSystem = VIRTUAL_FILE_SYSTEMS[Number((await statfs(existing)).type)];
  if (fileSystem)
    throw new UserError(
      `${flag} ${dir}: ${existing} is on the virtual ${fileSystem} file system, which holds no files; give a folder on a disk`,
    );
  await access(existing, constants.W_OK | constants.X_OK).catch(() => {
    throw new UserError(`${flag} ${dir}: cannot write into ${existing} (permission denied)`);
  });
  return missing;
}
