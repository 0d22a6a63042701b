/**
 * The `--out` folder of `encode`: created if missing (one level, so a path that cannot exist fails
 * at once instead of looping, as a recursive mkdir does under /proc), refused with one line if it
 * cannot be written. Outputs go through atomic writers, so a failure leaves no partial file.
 */
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';

export async function prepareOutputFolder(out: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (info && !info.isDirectory()) throw new UserError(`--out ${out} is a file, not a folder`);
  if (!info) {
    try {
      await mkdir(out);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(`--out ${out}: cannot create the folder (${code === 'ENOENT' ? 'its parent does not exist' : code ?? String(error)})`);
    }
  }
  try {
    await access(out, constants.W_OK);
  } catch {
    throw new UserError(`--out ${out}: the folder is not writable`);
  }
}
