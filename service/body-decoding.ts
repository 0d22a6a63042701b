/**
 * A request body decoded into rows (or images, for an image model), whichever route it came to: what
 * the body decoder runs, on the event loop for cheap bodies and in its worker thread for costly ones.
 */
import { parseImageInferRequest, type ImageInferRequest, type ImageModelView } from './oip/image-infer-request.ts';
import { parseInferRequest, type InferRequest } from './oip/infer-request.ts';
import { BODY, jsonRows, npyRows, parseJson, type Rows } from './request-rows.ts';

/** /v1/encode JSON, /v1/encode .npy, an OIP inference request, or an OIP request to an image model */
export type BodyKind = 'json' | 'npy' | 'oip' | 'oip-image';

/** What the body is for: a model, as much of it as crosses to the decoder's worker. */
export type DecodeTarget = ImageModelView;

export interface DecodedRows extends Rows {
  /** json: the body's "outputs", if any */
  asked?: unknown;
  /** oip: the request's id and outputs */
  infer?: Omit<InferRequest, 'x' | 'rows'>;
}

export type DecodedBody = DecodedRows | { images: ImageInferRequest };

/**
 * @param headerLength oip: the Inference-Header-Content-Length header, if sent
 * @param maxRows rows (windows, for images) a request may hold
 * @throws UserError / HttpError naming what is wrong
 */
export function decodeBody(
  kind: BodyKind,
  body: Buffer,
  headerLength: string | undefined,
  model: DecodeTarget,
  maxRows: number,
): DecodedBody {
  const { info } = model;
  if (kind === 'oip-image') return { images: parseImageInferRequest(body, headerLength, model, maxRows) };
  if (kind === 'npy') return npyRows(body, info, maxRows);
  if (kind === 'oip') {
    const { x, rows, ...infer } = parseInferRequest(body, headerLength, info, maxRows);
    return { x, rows, infer };
  }
  const parsed = parseJson(body, BODY);
  const rows = jsonRows(parsed, info, maxRows);
  return { ...rows, asked: (parsed as { outputs?: unknown }).outputs };
}

/** The buffer a decoded body's data is in (it moves from the decoder's worker). */
export function decodedBuffer(decoded: DecodedBody): ArrayBuffer {
  return ('images' in decoded ? decoded.images.data.buffer : decoded.x.buffer) as ArrayBuffer;
}
