/**
 * The window grid of the image path of `encode`: every P×P window of a prepared (gray, whitened)
 * image on a grid of the given stride, covering the whole image.
 */
import { UserError } from '@entropy-sc/core/errors';
import type { GrayImage } from '@entropy-sc/core/data/gray-image';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';

export interface ImagePatches {
  image: GrayImage;
  /** window origins: rows of the grid (top edges) and columns (left edges) */
  tops: number[];
  lefts: number[];
  /** patches [tops.length · lefts.length, P²], row-major over (top, left), each window row-major */
  x: Float32Array;
}

/** The patch side P of a model: the card's preprocessing, else √D. */
export function patchSize(card: ModelCard): number {
  const patch = card.preprocessing['patch'];
  const p = typeof patch === 'number' ? patch : Math.round(Math.sqrt(card.d));
  if (p * p !== card.d)
    throw new UserError(`model ${card.name} has D=${card.d}, which is not the P×P patch of an image model`);
  return p;
}

/** Whether the model learned from whitened images (a MAT-file's images count as whitened). */
export function modelWhitens(card: ModelCard): boolean {
  return card.preprocessing['whitening'] !== 'none';
}

/** Origins 0, s, 2s, … and the last window flush with the edge (the image model's graph cuts the same grid). */
export function windowOrigins(size: number, p: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o + p <= size; o += stride) out.push(o);
  if (out[out.length - 1] !== size - p) out.push(size - p);
  return out;
}

export function cutPatches(image: GrayImage, p: number, stride: number): ImagePatches {
  const name = image.name ?? 'image';
  if (image.width < p || image.height < p)
    throw new UserError(
      `${name}: ${image.width}×${image.height} (as prepared for the model) is smaller than its ${p}×${p} patch`,
    );
  const tops = windowOrigins(image.height, p, stride);
  const lefts = windowOrigins(image.width, p, stride);
  const x = new Float32Array(tops.length * lefts.length * p * p);
  let k = 0;
  for (const top of tops)
    for (const left of lefts)
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) x[k++] = image.pixels[(top + i) * image.width + left + j]!;
  return { image, tops, lefts, x };
}
