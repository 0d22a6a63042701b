/**
 * Decodes PNG (pngjs) and JPEG (jpeg-js) files into grayscale images with values in [0, 1].
 * Colour becomes luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601); alpha is ignored, not composited.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { UserError } from '../errors.ts';
import type { GrayImage } from './gray-image.ts';

/** File extensions (lower case) that `readImageFile` decodes. */
export const imageExtensions: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Whether `path` names a file `readImageFile` can decode, by its extension. */
export function isImageFile(path: string): boolean {
  return imageExtensions.includes(extname(path).toLowerCase());
}

/**
 * Reads a PNG or JPEG file as a grayscale image.
 * @param path a .png, .jpg or .jpeg file
 * @returns the image, pixels [height * width] row-major in [0, 1]
 */
export function readImageFile(path: string): GrayImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read image ${path}: ${(e as Error).message}`);
  }
  return decodeImage(bytes, path);
}

/**
 * Decodes PNG or JPEG bytes, recognised by their signature rather than the file name.
 * @param bytes the encoded file
 * @param name the file's name, for messages
 */
export function decodeImage(bytes: Uint8Array, name: string): GrayImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = buffer.length >= 8 && buffer.readUInt32BE(0) === 0x89504e47 && buffer.readUInt32BE(4) === 0x0d0a1a0a;
  const isJpeg = buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff;
  if (!isPng && !isJpeg) throw new UserError(`${name} is neither a PNG nor a JPEG file`);
  try {
    const image = isPng ? decodePng(buffer) : decodeJpeg(buffer);
    return { ...image, name: basename(name) };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot decode ${isPng ? 'PNG' : 'JPEG'} file ${name}: ${(e as Error).message}`);
  }
}

function decodePng(buffer: Buffer): GrayImage {
  // skipRescale keeps 16-bit samples (pngjs would round them to 8 bits); palettes come out as 8-bit RGBA.
  const png = pngjs.PNG.sync.read(buffer, { skipRescale: true });
  const data: ArrayLike<number> = png.data;
  const max = png.palette ? 255 : 2 ** png.depth - 1;
  return rgbaToGray(data, png.width, png.height, max);
}

function decodeJpeg(buffer: Buffer): GrayImage {
  const jpg = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true });
  return rgbaToGray(jpg.data, jpg.width, jpg.height, 255);
}

/**
 * @param data RGBA samples [height * width * 4]
 * @param max the largest sample value (255 for 8 bits)
 */
function rgbaToGray(data: ArrayLike<number>, width: number, height: number, max: number): GrayImage {
  if (width < 1 || height < 1 || data.length < width * height * 4) throw new Error(`bad image size ${width}x${height}`);
  const pixels = new Float64Array(width * height);
  const scale = 1 / max;
  for (let p = 0, q = 0; p < pixels.length; p++, q += 4) {
    // The clamp removes rounding above 1 for white (0.299 + 0.587 + 0.114 is not exactly 1 in floats).
    pixels[p] = Math.min(1, (0.299 * data[q]! + 0.587 * data[q + 1]! + 0.114 * data[q + 2]!) * scale);
  }
  return { width, height, pixels };
}
