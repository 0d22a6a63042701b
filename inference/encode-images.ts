/**
 * `encode --data images:DIR` with a patch model or an image model alike: per image, the model's
 * outputs (image-codes.ts) as .npy files in OUT/<image>/ (per window [windows, …] in grid order,
 * per pixel [height, width]), the rebuilt image and the ELBO heat map as PNGs, and OUT/images.json
 * with each image's window grid. Every image is decoded and checked before anything is written.
 */
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { UserError } from '@entropy-sc/core/errors';
import { readImagePixels } from '@entropy-sc/core/data/image-file';
import { listImageSource, loadImageSetWithSource } from '@entropy-sc/core/data/image-set';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { createProgress } from '@entropy-sc/core/progress';
import { checkImage, grayImageCodes, PIXEL_OUTPUTS, type ImageCodes } from './image-codes.ts';
import type { OnnxImageModel } from './image-model.ts';
import { defaultStride } from './image-model-build.ts';
import { elboHeatMapPng, reconstructionPng } from './image-pictures.ts';
import { patchSize } from './image-patches.ts';
import type { OnnxEncoderModel, OutputName } from './model.ts';

export interface EncodeImagesOptions {
  outputs: readonly OutputName[];
  /** pixels between neighbouring windows (default P/2; an image model's own) */
  stride?: number;
}

export interface EncodedImage {
  name: string;
  width: number;
  height: number;
  patches: number;
  /** mean ℓ_n over the image's windows */
  elbo_mean: number;
  folder: string;
}

export async function encodeImages(
  model: OnnxEncoderModel | OnnxImageModel,
  source: string,
  out: string,
  options: EncodeImagesOptions,
): Promise<EncodedImage[]> {
  const p = model.kind === 'image' ? model.patch : patchSize(model.card);
  const stride = model.kind === 'image' ? model.stride : (options.stride ?? defaultStride(p));
  const wanted = [...new Set([...options.outputs, 'reconstruction', 'elbo', 'whitened'])];
  const names = model.kind === 'image' ? model.selectOutputs(wanted) : model.selectImageOutputs(wanted);
  const encode = await prepare(model, source, p, stride, names, options.stride);
  await makeOutputDir(out);
  const progress = process.stderr.isTTY ? createProgress('encode images', encode.length) : null;
  const done: EncodedImage[] = [];
  const layout: Record<string, unknown>[] = [];
  for (const [m, next] of encode.entries()) {
    const codes = await next();
    const name = imageStem(codes.name || `image-${m}`);
    const windows = codes.tops.length * codes.lefts.length;
    const folder = join(out, name);
    await mkdir(folder, { recursive: true });
    for (const output of options.outputs) {
      const t = codes.outputs[output]!;
      const shape = PIXEL_OUTPUTS.includes(output) ? t.shape : [windows, ...t.shape.slice(2)];
      await writeNpy(join(folder, `${output}.npy`), { data: t.data, shape });
    }
    const { whitened, reconstruction, elbo } = codes.outputs;
    await writeFileAtomic(
      join(folder, 'reconstruction.png'),
      reconstructionPng(whitened!.data, reconstruction!.data, codes.width, codes.height),
    );
    await writeFileAtomic(
      join(folder, 'elbo.png'),
      elboHeatMapPng(elbo!.data, codes.tops.length, codes.lefts.length, stride),
    );
    const entry = {
      name,
      width: codes.width,
      height: codes.height,
      patches: windows,
      elbo_mean: elbo!.data.reduce((a, b) => a + b, 0) / windows,
      folder,
    };
    done.push(entry);
    layout.push({ ...entry, patch: p, stride, tops: codes.tops, lefts: codes.lefts });
    progress?.update(m + 1);
  }
  await writeFileAtomic(
    join(out, 'images.json'),
    JSON.stringify({ model: model.card.name, images: layout }, null, 2) + '\n',
  );
  const summary = `encoded ${encode.length} images (${p}×${p} windows, stride ${stride}) into ${out}`;
  if (progress) progress.finish(summary);
  else process.stderr.write(`${summary}\n`);
  return done;
}

/**
 * Decodes and checks every image of `source` (so a bad one fails before any output), and returns
 * one encoding step per image.
 */
async function prepare(
  model: OnnxEncoderModel | OnnxImageModel,
  source: string,
  p: number,
  stride: number,
  names: OutputName[],
  askedStride: number | undefined,
): Promise<Array<() => Promise<ImageCodes>>> {
  const listed = await listImageSource(source);
  if (listed.kind === 'mat-file') {
    if (model.kind === 'image')
      throw new UserError(
        `${source}: a MAT-file holds whitened float images; the image model ${model.path} takes 8-bit images (encode the MAT-file with the patch model)`,
      );
    const set = await loadImageSetWithSource(source);
    for (const image of set.images)
      if (image.width < p || image.height < p)
        throw new UserError(
          `${image.name}: ${image.width}×${image.height} (as stored) is smaller than its ${p}×${p} patch`,
        );
    return set.images.map((image) => () => grayImageCodes(model, image, p, stride, names));
  }
  const images = listed.files.map(readImagePixels);
  for (const image of images) checkImage(image, p);
  return images.map(
    (image) => async () => (await model.encodeImages([image], { outputs: names, stride: askedStride ?? stride }))[0]!,
  );
}

function imageStem(file: string): string {
  const base = basename(file);
  return base.slice(0, base.length - extname(base).length).replace(/[^A-Za-z0-9_.-]/g, '_') || 'image';
}
