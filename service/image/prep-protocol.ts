/** Messages between the image preparation pool (main thread) and a preparation worker. */
import type { ImagePixels } from '@entropy-sc/core/data/image-file';

/** main → worker: prepare one encoded image as the model card prescribes */
export interface PrepJob {
  id: number;
  /** the PNG or JPEG file (transferred) */
  bytes: Uint8Array;
  /** 'gray': gray and whitened as the card says, for a patch model; 'pixels': 8-bit RGB for an image model */
  as: 'gray' | 'pixels';
  whiten: boolean;
}

/** The image as the model sees it: gray, whitened as its card says. */
export interface PreparedImage {
  width: number;
  height: number;
  /** [height * width] row-major */
  pixels: Float64Array;
}

/** worker → main */
export type PrepMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; image: PreparedImage | ImagePixels }
  | { type: 'error'; id: number; message: string; userError: boolean };
