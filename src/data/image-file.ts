/**
 * Decodes PNG (pngjs) and JPEG (jpeg-js) files into grayscale images with values in [0, 1], or into
 * the 8-bit RGB pixels an image model takes. Colour becomes luminance 0.299 R + 0.587 G + 0.114 B
 * (ITU-R BT.601); alpha is ignored, not composited.
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
  return decodeImage(readBytes(path), path);
}

/** 8-bit pixels [height, width, channels] row-major, as image decoders produce them. */
export interface ImagePixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
  name: string;
}

/**
 * Reads a PNG or JPEG file as 8-bit RGB pixels (what an image model takes).
 * @throws UserError for a 16-bit PNG, or a file that does not decode
 */
export function readImagePixels(path: string): ImagePixels {
  return decodeImagePixels(readBytes(path), path);
}

/**
 * Decodes PNG or JPEG bytes as 8-bit RGB pixels (what an image model takes).
 * @param name the file's name, for messages
 * @throws UserError for a 16-bit PNG, or bytes that do not decode
 */
export function decodeImagePixels(bytes: Uint8Array, name: string): ImagePixels {
  const { rgba, width, height, depth } = decodeRgba(bytes, name);
  if (depth !== 8)
    throw new UserError(`${name} is a ${depth}-bit PNG; the image model takes 8-bit images (convert it to 8 bits)`);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) data[3 * p + c] = rgba[4 * p + c]!;
  return { width, height, channels: 3, data, name: basename(name) };
}

/**
 * The grayscale image of 8-bit pixels, as `readImageFile` makes it from the same file.
 * @param pixels 1 (gray) or 3 (RGB) channels
 */
export function grayFromPixels(pixels: ImagePixels): GrayImage {
  const { width, height, channels, data, name } = pixels;
  if (channels !== 1 && channels !== 3)
    throw new UserError(`${name}: ${channels} channels; an image has 1 (gray) or 3 (RGB)`);
  return { ...toGray(data, width, height, channels, 255), name };
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read image ${path}: ${(e as Error).message}`);
  }
}

/**
 * Decodes PNG or JPEG bytes, recognised by their signature rather than the file name.
 * @param bytes the encoded file
 * @param name the file's name, for messages
 */
export function decodeImage(bytes: Uint8Array, name: string): GrayImage {
  const { rgba, width, height, depth, palette } = decodeRgba(bytes, name);
  return { ...toGray(rgba, width, height, 4, palette ? 255 : 2 ** depth - 1), name: basename(name) };
}

interface Rgba {
  /** RGBA samples [height * width * 4] */
  rgba: ArrayLike<number>;
  width: number;
  height: number;
  /** bits per sample */
  depth: number;
  /** a palette image (its samples are 8-bit whatever `depth` says) */
  palette: boolean;
}

function decodeRgba(bytes: Uint8Array, name: string): Rgba {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = buffer.length >= 8 && buffer.readUInt32BE(0) === 0x89504e47 && buffer.readUInt32BE(4) === 0x0d0a1a0a;
  const isJpeg = buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff;
  if (!isPng && !isJpeg) throw new UserError(`${name} is neither a PNG nor a JPEG file`);
  try {
    const image = isPng ? decodePng(buffer) : decodeJpeg(buffer);
    if (image.width < 1 || image.height < 1 || image.rgba.length < image.width * image.height * 4)
      throw new Error(`bad image size ${image.width}x${image.height}`);
    return image;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot decode ${isPng ? 'PNG' : 'JPEG'} file ${name}: ${(e as Error).message}`);
  }
}

function decodePng(buffer: Buffer): Rgba {
  // skipRescale keeps 16-bit samples (pngjs would round them to 8 bits); palettes come out as 8-bit RGBA.
  const png = pngjs.PNG.sync.read(buffer, { skipRescale: true });
  const palette = Boolean(png.palette);
  return { rgba: png.data, width: png.width, height: png.height, depth: palette ? 8 : png.depth, palette };
}

function decodeJpeg(buffer: Buffer): Rgba {
  const jpg = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true });
  return { rgba: jpg.data, width: jpg.width, height: jpg.height, depth: 8, palette: false };
}

/**
 * @param data samples [height * width * stride]: gray (1 channel) or R, G, B first
 * @param max the largest sample value (255 for 8 bits)
 */
function toGray(data: ArrayLike<number>, width: number, height: number, stride: number, max: number): GrayImage {
  const pixels = new Float64Array(width * height);
  const scale = 1 / max;
  for (let p = 0, q = 0; p < pixels.length; p++, q += stride) {
    // The clamp removes rounding above 1 for white (0.299 + 0.587 + 0.114 is not exactly 1 in floats).
    const luminance = stride === 1 ? data[q]! : 0.299 * data[q]! + 0.587 * data[q + 1]! + 0.114 * data[q + 2]!;
    pixels[p] = Math.min(1, luminance * scale);
  }
  return { width, height, pixels };
}
