/**
 * Atomic file writes: the data goes to a temporary file next to the target, is flushed to disk, and
 * is renamed over the target, so readers (and a process killed mid-write) see either the old file or
 * the complete new one, never a partial file.
 */
import { discardTempFile, openTempFile, placeTempFile, writeError } from './temp-file.ts';

/**
 * Writes `data` to `path` atomically (temp file in the same folder, fsync, rename).
 * @param path the target file; its folder must exist
 * @param data bytes, or a string written as UTF-8
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const { temp, handle } = await openTempFile(path);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await discardTempFile(temp);
    throw writeError(path, error);
  }
  await placeTempFile(temp, path);
}
