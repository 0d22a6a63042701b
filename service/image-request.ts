/**
 * A PNG or JPEG request body, checked from its header before anything is decoded: the declared
 * type matches the bytes, 8-bit samples, at least one P×P window, and the windows it would cut
 * (the rows the model encodes; they bound the decoded pixels) within the request limit, so a
 * decompression bomb (a 30 000 × 30 000 PNG of a few kB) is a 413 without being inflated.
 */
import { imageSize } from 'image-size';
import { UserError } from '@entropy-sc/core/errors';
import { HttpError } from './http-error.ts';

export const IMAGE_TYPES = ['image/png', 'image/jpeg'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

export interface ImageHeader {
  type: ImageType;
  width: number;
  height: number;
  /** window origins along each axis */
  rows: number;
  cols: number;
}

/**
 * How many origins inference's windowOrigins lists (0, S, 2S, … and the last flush with the edge),
 * counted without listing them: a declared size may be huge.
 */
export function windowCount(size: number, patch: number, stride: number): number {
  return Math.floor((size - patch) / stride) + 1 + ((size - patch) % stride === 0 ? 0 : 1);
}

/**
 * @param contentType the request's Content-Type
 * @param maxWindows most windows (rows) one request may encode
 */
export function readImageHeader(
  body: Buffer,
  contentType: string | undefined,
  patch: number,
  stride: number,
  maxWindows: number,
): ImageHeader {
  const type = IMAGE_TYPES.find((t) => contentType?.toLowerCase().startsWith(t));
  if (!type) throw new HttpError(415, `send the image as Content-Type ${IMAGE_TYPES.join(' or ')}`);
  const name = type === 'image/png' ? 'PNG' : 'JPEG';
  const png = body.length >= 8 && body.readUInt32BE(0) === 0x89504e47 && body.readUInt32BE(4) === 0x0d0a1a0a;
  const jpeg = body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff;
  if (!(type === 'image/png' ? png : jpeg))
    throw new UserError(
      `the request body (${body.length} bytes) is not a ${name} image, as its Content-Type ${type} says: it does not start with ${name}'s signature`,
    );
  let width: number;
  let height: number;
  try {
    ({ width, height } = imageSize(body));
  } catch (error) {
    throw new UserError(`the ${name} image's header is unreadable (${(error as Error).message.slice(0, 80)})`);
  }
  // IHDR's bit depth (byte 24): 16-bit samples are not what image decoders hand to the model (uint8).
  if (png && body.length > 24 && body[24] === 16)
    throw new UserError(`the PNG image has 16-bit samples; send an 8-bit PNG (the image model takes uint8 pixels)`);
  if (width < patch || height < patch)
    throw new UserError(`the image is ${width}×${height}, smaller than the model's ${patch}×${patch} window`);
  const rows = windowCount(height, patch, stride);
  const cols = windowCount(width, patch, stride);
  if (rows * cols > maxWindows)
    throw new HttpError(
      413,
      `the ${width}×${height} image has ${rows * cols} windows of ${patch}×${patch} at stride ${stride}, more than the limit of ${maxWindows} per request`,
    );
  return { type, width, height, rows, cols };
}
