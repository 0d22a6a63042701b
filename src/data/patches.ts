/**
 * The natural-image patch data set (math.md, "Natural image patches"; cli.md `train --data
 * images:DIR` and `patches`): random P×P windows of the (whitened) images, flattened row-major.
 *
 * Sampling: each sample is one uniformly random (image, top-left corner) pair among all windows that
 * fit, i.e. an image is picked with probability proportional to its number of valid positions. One
 * draw `Random(seed).int(total)` per sample, in sample order, decides both.
 */
import { ensure, UserError } from '../errors.ts';
import { Random } from '../random.ts';
import { defaultImagesDir } from './default-images.ts';
import type { GrayImage } from './gray-image.ts';
import { loadImageSetWithSource, type ImageSourceKind } from './image-set.ts';
import { whiteningDescription } from './whiten.ts';

export { loadImageSet } from './image-set.ts';

export interface PatchOptions {
  /** Side P of the square windows. */
  patch?: number;
  /** Number of patches N. */
  samples: number;
  seed: number;
}

/**
 * Cuts random P×P windows out of images.
 * @param images each [height * width] row-major, all at least P×P
 * @returns patches [samples, patch * patch], each window flattened row-major
 */
export function extractPatches(images: readonly GrayImage[], { patch = 16, samples, seed }: PatchOptions): Float32Array {
  ensure(Number.isInteger(patch) && patch >= 1, `patch size must be a positive integer, got ${patch}`);
  ensure(Number.isInteger(samples) && samples >= 1, `number of samples must be a positive integer, got ${samples}`);
  ensure(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
  ensure(images.length > 0, 'no images to cut patches from');
  // starts[m] = index of image m's first window among all windows.
  const starts = new Float64Array(images.length + 1);
  images.forEach((image, m) => {
    if (image.width < patch || image.height < patch) {
      throw new UserError(`patch size ${patch} is larger than image ${image.name ?? m} (${image.width}x${image.height})`);
    }
    starts[m + 1] = starts[m]! + (image.width - patch + 1) * (image.height - patch + 1);
  });
  const total = starts[images.length]!;
  const d = patch * patch;
  const out = new Float32Array(samples * d);
  const rng = new Random(seed);
  for (let s = 0; s < samples; s++) {
    const r = rng.int(total);
    let m = 0;
    while (r >= starts[m + 1]!) m++;
    const image = images[m]!;
    const across = image.width - patch + 1;
    const position = r - starts[m]!;
    const top = Math.floor(position / across);
    const left = position - top * across;
    for (let i = 0; i < patch; i++) {
      const from = (top + i) * image.width + left;
      out.set(image.pixels.subarray(from, from + patch), s * d + i * patch);
    }
  }
  return out;
}

/** What was done to make a patch data set: JSON-ready, for the model card. */
export interface PatchPreprocessing {
  source: string;
  sourceKind: ImageSourceKind;
  /** The images patches were cut from (whole: no crop). */
  images: { name: string; width: number; height: number }[];
  grayscale: string;
  whitening: typeof whiteningDescription | 'none' | 'as stored in the MAT-file (pre-whitened; not whitened again, not rescaled)';
  patch: number;
  samples: number;
  seed: number;
  sampling: string;
  layout: string;
}

export interface NaturalImagePatchOptions extends PatchOptions {
  /** Folder of PNG/JPEG files, one such file or IMAGES.mat; default: the shipped image set. */
  source?: string;
  /** Whiten photographs (default true; a MAT-file is always used as stored). */
  whiten?: boolean;
}

/**
 * Loads an image set and cuts the patch data set from it: what `train --data images:DIR` and
 * `patches` use.
 * @returns x [n, d] row-major with n = samples, d = patch², and how it was made
 */
export async function naturalImagePatches({
  source = defaultImagesDir,
  patch = 16,
  samples,
  seed,
  whiten = true,
}: NaturalImagePatchOptions): Promise<{ x: Float32Array; n: number; d: number; preprocessing: PatchPreprocessing }> {
  const set = await loadImageSetWithSource(source, { whiten });
  const x = extractPatches(set.images, { patch, samples, seed });
  const preprocessing: PatchPreprocessing = {
    source: set.source,
    sourceKind: set.kind,
    images: set.images.map((image, m) => ({ name: image.name ?? String(m), width: image.width, height: image.height })),
    grayscale: set.kind === 'mat-file' ? 'as stored' : 'luminance 0.299 R + 0.587 G + 0.114 B, values in [0, 1]',
    whitening:
      set.kind === 'mat-file'
        ? 'as stored in the MAT-file (pre-whitened; not whitened again, not rescaled)'
        : set.whitened
          ? whiteningDescription
          : 'none',
    patch,
    samples,
    seed,
    sampling: 'uniform over all (image, top-left corner) pairs whose window fits; Random(seed).int(total windows) per sample',
    layout: 'row-major [samples, patch * patch], each window flattened row-major',
  };
  return { x, n: samples, d: patch * patch, preprocessing };
}
