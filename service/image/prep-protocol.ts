/** Messages between the image preparation pool (main thread) and a preparation worker. */

/** main → worker: prepare one encoded image as the model card prescribes */
export interface PrepJob {
  id: number;
  /** the PNG or JPEG file (transferred) */
  bytes: Uint8Array;
  patch: number;
  stride: number;
  whiten: boolean;
}

/** The image as the model sees it and its windows. */
export interface PreparedImage {
  width: number;
  height: number;
  /** the prepared (whitened) image [height * width] */
  pixels: Float32Array;
  tops: number[];
  lefts: number[];
  /** windows [tops · lefts, P²] */
  x: Float32Array;
}

/** worker → main */
export type PrepMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; image: PreparedImage }
  | { type: 'error'; id: number; message: string; userError: boolean };
