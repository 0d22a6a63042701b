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
  return (
    2 * rows * info.d * 4 +
    2 * rowValues(info, outputs) * rows * 4 +
    rowValues(info, builtJson) * rows * JSON_VALUE_BYTES +
    STREAM_BYTES
  );
}

/** Values per row of the named outputs (a module function: a closure per request costs more than the sum). */
function rowValues(info: ModelInfo, names: readonly OutputName[]): number {
  let values = 0;
  for (const name of names) values += (info.rowShapes[name] ?? []).reduce((a, b) => a * b, 1);
  return values;
}

/** Values per window of the image model's outputs (reconstruction and whitened are per pixel instead). */
function windowValues(info: ModelInfo, name: OutputName): number {
  const { h, rank } = info.card;
  const values: Partial<Record<OutputName, number>> = {
    mean: h,
    variance: h,
    elbo: 1,
    cov_factor: h * (rank ?? 1),
    cov_diag: h,
    covariance: h * h,
  };
  return values[name] ?? 0;
}

/**
 * The bytes an image request holds beyond its body: the decoded pixels (RGBA), the gray and
 * whitened images, its windows, its outputs (twice, as for rows) and a streamed answer's buffers.
 * @param shape [count, height, width, channels]
 */
export function imageRequestBytes(
  info: ModelInfo,
  shape: readonly number[],
  windows: number,
  outputs: readonly OutputName[],
): number {
  const [count = 1, height = 0, width = 0] = shape;
  const pixels = count * height * width;
  const perPixel = outputs.filter((name) => name === 'reconstruction' || name === 'whitened').length;
  const values = outputs.reduce((sum, name) => sum + windows * windowValues(info, name), 0) + perPixel * pixels;
  return pixels * 4 + 2 * pixels * 4 + 2 * windows * info.d * 4 + 2 * values * 4 + STREAM_BYTES;
}
