/** Messages between the body decoder (main thread) and its worker (decode-worker.ts). */
import type { BodyKind, DecodedBody, DecodeTarget } from './body-decoding.ts';

/** workerData of the decode worker */
export interface DecoderInit {
  maxRows: number;
}

/** main → worker */
export interface DecodeJob {
  id: number;
  kind: BodyKind;
  /** the model the body is for */
  model: DecodeTarget;
  /** the body (transferred) */
  body: Uint8Array;
  headerLength?: string;
}

/** worker → main: the rows, or the error's status and message */
export type DecodeMessage = { id: number; decoded: DecodedBody } | { id: number; status: number; message: string };
