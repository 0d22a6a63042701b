/**
 * The model path checked before any worker reads it: a regular file of a size an ONNX model can
 * have (`--model /dev/zero` would otherwise be read until memory runs out).
 */
import { stat } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';

/** protobuf's limit on one message, hence on an ONNX file without external data */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Throws a UserError for a path that exists but is no regular file or is too large; a missing one is left to the loader. */
export async function checkModelFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return;
  }
  if (!info.isFile()) throw new UserError(`${path}: not a regular file (give the .onnx file of an exported model)`);
  if (info.size > MAX_MODEL_BYTES)
    throw new UserError(`${path}: ${info.size} bytes, larger than an ONNX model can be (${MAX_MODEL_BYTES} bytes)`);
}
