/**
 * Atomic file writes: the data goes to a temporary file next to the target, is flushed to disk, and
 * is renamed over the target, so readers (and a process killed mid-write) see either the old file or
 * the complete new one, never a partial file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes `data` to `path` atomically (temp file in the same folder, fsync, rename).
 * @param path the target file; its folder must exist
 * @param data bytes, or a string written as UTF-8
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  // Same folder as the target: rename is only atomic within one file system.
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
