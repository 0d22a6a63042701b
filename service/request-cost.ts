/**
 * The bytes one encode request makes the process hold, charged to the memory budget before the
 * work is done: its body (charged as it arrives), its rows (the request's copy and the batch's),
 * its outputs (twice: onnxruntime's own and the copy it hands over), and its answer: a stream's buffer, or the JSON text of an answer whose length must
 * be known before it is sent (OIP JSON tensors beside binary ones).
 */
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelInfo } from './model-info.ts';

/** what a streamed answer holds at most: its stream's and the socket's buffers */
export const STREAM_BYTES = 1 << 20;
/** the longest JSON text of one float32 value and its comma (-1.2345678e-38,) */
const JSON_VALUE_BYTES = 16;

/**
 * @param builtJson outputs whose JSON text is built whole before it is sent
 */
export function requestBytes(
  info: ModelInfo,
  rows: number,
  outputs: readonly OutputName[],
  builtJson: readonly OutputName[] = [],
): number {
  const values = (names: readonly OutputName[]) =>
    names.reduce((sum, name) => sum + rows * (info.rowShapes[name] ?? []).reduce((a, b) => a * b, 1), 0);
  return 2 * rows * info.d * 4 + 2 * values(outputs) * 4 + values(builtJson) * JSON_VALUE_BYTES + STREAM_BYTES;
}
