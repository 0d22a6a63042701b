/**
 * What encoding an image gives, with a patch model or an image model alike: the outputs per window
 * [rows, cols, …] on the grid of image-patches.ts, `reconstruction` (W̃·ν averaged over the windows
 * covering each pixel) and `whitened` per pixel [height, width]. The patch model's way is here, in
 * TypeScript (core's gray conversion and whitening, the grid cut in image-patches.ts); the image
 * model runs the same steps in its graph (image-model.ts).
 */
import { UserError } from '@entropy-sc/core/errors';
import { grayFromPixels, type ImagePixels } from '@entropy-sc/core/data/image-file';
import type { GrayImage } from '@entropy-sc/core/data/gray-image';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { Tensor } from './graph-session.ts';
import { cutPatches, windowOrigins } from './image-patches.ts';

export interface ImageCodes {
  name: string;
  width: number;
  height: number;
  /** window origins on each axis (top edges, left edges) */
  tops: number[];
  lefts: number[];
  /** per window [tops, lefts, …]; `reconstruction` and `whitened` per pixel [height, width] */
  outputs: Partial<Record<OutputName, Tensor>>;
}

export interface EncodeImagesOptions {
  /** the outputs to compute (default: all the model offers for images) */
  outputs?: readonly OutputName[];
  /** pixels between neighbouring windows (default P/2; an image model's is fixed at export) */
  stride?: number;
}

/** Outputs given per pixel rather than per window. */
export const PIXEL_OUTPUTS: readonly OutputName[] = ['reconstruction', 'whitened'];

/**
 * Refuses, naming the image, what no model can encode: a channel count other than 1 or 3, pixels
 * that do not fill the shape, an image smaller than the window, a constant image.
 */
export function checkImage(image: ImagePixels, p: number): void {
  const { name, width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3)
    throw new UserError(`${name}: ${channels} channels; an image has 1 (gray) or 3 (RGB)`);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1))
    throw new UserError(`${name}: size ${width}×${height}`);
  if (data.length !== width * height * channels)
    throw new UserError(
      `${name}: ${data.length} bytes, but ${width}×${height}×${channels} pixels need ${width * height * channels}`,
    );
  if (width < p || height < p)
    throw new UserError(`${name}: ${width}×${height} (as decoded) is smaller than its ${p}×${p} patch`);
  const gray = grayFromPixels(image).pixels;
  if (gray.every((v) => v === gray[0]))
    throw new UserError(`${name} is constant (zero variance after whitening); it cannot be whitened`);
}

/** The window grid of an image. */
export function imageGrid(
  width: number,
  height: number,
  p: number,
  stride: number,
): { tops: number[]; lefts: number[] } {
  return { tops: windowOrigins(height, p, stride), lefts: windowOrigins(width, p, stride) };
}

/**
 * Each pixel the mean of the windows covering it.
 * @param windows [tops · lefts, P²] in grid order
 */
export function overlapAverage(
  windows: Float32Array,
  tops: number[],
  lefts: number[],
  width: number,
  height: number,
  p: number,
): Float32Array {
  const sum = new Float64Array(width * height);
  const count = new Uint32Array(width * height);
  let k = 0;
  for (const top of tops)
    for (const left of lefts) {
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          const at = (top + i) * width + left + j;
          sum[at]! += windows[k * p * p + i * p + j]!;
          count[at]!++;
        }
      k++;
    }
  return Float32Array.from(sum, (s, at) => s / count[at]!);
}

/** A patch model's rows entry point, as image-codes needs it. */
export interface RowEncoder {
  run(x: Float32Array, rows: number, names: readonly OutputName[]): Promise<Partial<Record<OutputName, Tensor>>>;
}

/**
 * One image through a patch model: gray and whitened as the card says (core), then `grayImageCodes`.
 * @param whiten the card's whitening (false: a model that learned from unwhitened images)
 */
export function patchModelImageCodes(
  model: RowEncoder,
  image: ImagePixels,
  p: number,
  stride: number,
  names: readonly OutputName[],
  whiten: boolean,
): Promise<ImageCodes> {
  checkImage(image, p);
  const gray = grayFromPixels(image);
  return grayImageCodes(model, whiten ? whitenImage(gray) : gray, p, stride, names);
}

/**
 * A prepared (whitened) grayscale image through a patch model: windows cut, rows encoded.
 * @param names outputs, checked by the caller
 */
export async function grayImageCodes(
  model: RowEncoder,
  image: GrayImage,
  p: number,
  stride: number,
  names: readonly OutputName[],
): Promise<ImageCodes> {
  const { tops, lefts, x } = cutPatches(image, p, stride);
  const rowNames = names.filter((name) => name !== 'whitened');
  const result = rowNames.length > 0 ? await model.run(x, tops.length * lefts.length, rowNames) : {};
  const { width, height } = image;
  const outputs: Partial<Record<OutputName, Tensor>> = {};
  for (const name of names) {
    if (name === 'whitened') outputs.whitened = { data: Float32Array.from(image.pixels), shape: [height, width] };
    else if (name === 'reconstruction')
      outputs.reconstruction = {
        data: overlapAverage(result.reconstruction!.data, tops, lefts, width, height, p),
        shape: [height, width],
      };
    else {
      const t = result[name]!;
      outputs[name] = { data: t.data, shape: [tops.length, lefts.length, ...t.shape.slice(1)] };
    }
  }
  return { name: image.name ?? 'image', width, height, tops, lefts, outputs };
}
