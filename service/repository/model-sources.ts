/**
 * Where the served models come from: one model file, or every model of a Triton-layout repository
 * (REPO/<name>/config.pbtxt beside REPO/<name>/<version>/model.onnx, what `export --triton` writes).
 * As Triton's default version policy (latest 1), the highest version folder of a model is served;
 * a model folder without a loadable version is an error at start, as Triton refuses to start then too.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@entropy-sc/core/errors';

export interface ModelSource {
  /** the ONNX file */
  path: string;
  /** the served name; none: the model card's name */
  name?: string;
  /** the served version (OIP's version folders are numbers as strings) */
  version: string;
}

/** Triton's file name for an ONNX model inside a version folder. */
export const TRITON_MODEL_FILE = 'model.onnx';
export const TRITON_CONFIG_FILE = 'config.pbtxt';

/** Served names: what a URL path segment and a metrics label can carry unescaped. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export async function scanRepository(repo: string): Promise<ModelSource[]> {
  const folders = await entries(repo, `--models ${repo}`);
  const sources: ModelSource[] = [];
  for (const folder of folders
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()) {
    const where = join(repo, folder);
    if (!NAME.test(folder))
      throw new UserError(
        `--models ${repo}: model folder '${folder.slice(0, 64)}' is not a model name (letters, digits, _ . -)`,
      );
    const inside = await entries(where, `--models ${repo}`);
    if (!inside.some((e) => e.isFile() && e.name === TRITON_CONFIG_FILE))
      throw new UserError(`--models ${repo}: ${where} has no ${TRITON_CONFIG_FILE} (a Triton model folder needs one)`);
    const versions = inside
      .filter((e) => e.isDirectory() && /^[0-9]+$/.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length === 0)
      throw new UserError(
        `--models ${repo}: ${where} has no version folder (e.g. ${join(where, '1', TRITON_MODEL_FILE)})`,
      );
    const version = versions[0]!;
    const files = await entries(join(where, version), `--models ${repo}`);
    if (!files.some((e) => e.isFile() && e.name === TRITON_MODEL_FILE))
      throw new UserError(
        `--models ${repo}: the highest version of '${folder}', ${join(where, version)}, has no ${TRITON_MODEL_FILE}`,
      );
    sources.push({ path: join(where, version, TRITON_MODEL_FILE), name: folder, version: String(Number(version)) });
  }
  if (sources.length === 0)
    throw new UserError(
      `--models ${repo}: no model folders (expected ${join(repo, '<name>', TRITON_CONFIG_FILE)}, as export --triton writes)`,
    );
  return sources;
}

async function entries(folder: string, flag: string) {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `${flag}: ${code === 'ENOENT' ? `no such folder ${folder}` : code === 'ENOTDIR' ? `${folder} is not a folder` : `cannot read ${folder} (${code ?? String(error)})`}`,
    );
  }
}
