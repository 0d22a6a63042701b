/**
 * A request body decoded into rows, whichever route it came to: what the body decoder runs, on the
 * event loop for small bodies and in its worker thread for large ones.
 */
import type { ModelInfo } from './model-info.ts';
import { parseInferRequest, type InferRequest } from './oip/infer-request.ts';
import { BODY, jsonRows, npyRows, parseJson, type Rows } from './request-rows.ts';

/** /v1/encode JSON, /v1/encode .npy, or an OIP inference request */
export type BodyKind = 'json' | 'npy' | 'oip';

export interface DecodedBody extends Rows {
  /** json: the body's "outputs", if any */
  asked?: unknown;
  /** oip: the request's id and outputs */
  infer?: Omit<InferRequest, 'x' | 'rows'>;
}

/**
 * @param headerLength oip: the Inference-Header-Content-Length header, if sent
 * @throws UserError / HttpError naming what is wrong
 */
export function decodeBody(
  kind: BodyKind,
  body: Buffer,
  headerLength: string | undefined,
  info: ModelInfo,
  maxRows: number,
): DecodedBody {
  if (kind === 'npy') return npyRows(body, info, maxRows);
  if (kind === 'oip') {
    const { x, rows, ...infer } = parseInferRequest(body, headerLength, info, maxRows);
    return { x, rows, infer };
  }
  const parsed = parseJson(body, BODY);
  const rows = jsonRows(parsed, info, maxRows);
  return { ...rows, asked: (parsed as { outputs?: unknown }).outputs };
}
