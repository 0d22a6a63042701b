/**
 * `encode --data images:DIR`: per image, the model's outputs for its patches (imagePatches) as
 * .npy files in OUT/<image>/, the rebuilt image and the ELBO heat map as PNGs, and OUT/images.json
 * with each image's patch grid.
 */
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { createProgress } from '@entropy-sc/core/progress';
import { elboHeatMapPng, reconstructionPng } from './image-pictures.ts';
import { imagePatches, patchSize } from './image-patches.ts';
import type { OnnxEncoderModel, OutputName } from './model.ts';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';

export interface EncodeImagesOptions {
  outputs: readonly OutputName[];
  /** pixels between neighbouring windows (default P/2) */
  stride?: number;
}

export interface EncodedImage {
  name: string;
  width: number;
  height: number;
  patches: number;
  /** mean ℓ_n over the image's patches */
  elbo_mean: number;
  folder: string;
}

export async function encodeImages(
  model: OnnxEncoderModel,
  source: string,
  out: string,
  options: EncodeImagesOptions,
): Promise<EncodedImage[]> {
  const p = patchSize(model.card);
  const stride = options.stride ?? Math.max(1, Math.floor(p / 2));
  const names = model.selectOutputs([...new Set([...options.outputs, 'reconstruction', 'elbo'])]);
  const images = await imagePatches(source, model.card, stride);
  await makeOutputDir(out);
  const progress = process.stderr.isTTY ? createProgress('encode images', images.length) : null;
  const done: EncodedImage[] = [];
  const layout: Record<string, unknown>[] = [];
  for (const [m, patches] of images.entries()) {
    const name = imageStem(patches.image.name ?? `image-${m}`);
    const rows = patches.tops.length * patches.lefts.length;
    const result = await model.run(patches.x, rows, names);
    const folder = join(out, name);
    await mkdir(folder, { recursive: true });
    for (const output of options.outputs) await writeNpy(join(folder, `${output}.npy`), result[output]!);
    await writeFileAtomic(
      join(folder, 'reconstruction.png'),
      reconstructionPng(patches, result.reconstruction!.data, p),
    );
    await writeFileAtomic(join(folder, 'elbo.png'), elboHeatMapPng(patches, result.elbo!.data, stride));
    const elbo = result.elbo!.data;
    const entry = {
      name,
      width: patches.image.width,
      height: patches.image.height,
      patches: rows,
      elbo_mean: elbo.reduce((a, b) => a + b, 0) / rows,
      folder,
    };
    done.push(entry);
    layout.push({ ...entry, patch: p, stride, tops: patches.tops, lefts: patches.lefts });
    progress?.update(m + 1);
  }
  await writeFileAtomic(
    join(out, 'images.json'),
    JSON.stringify({ model: model.card.name, images: layout }, null, 2) + '\n',
  );
  const summary = `encoded ${images.length} images (${p}×${p} patches, stride ${stride}) into ${out}`;
  if (progress) progress.finish(summary);
  else process.stderr.write(`${summary}\n`);
  return done;
}

function imageStem(file: string): string {
  const base = basename(file);
  return base.slice(0, base.length - extname(base).length).replace(/[^A-Za-z0-9_.-]/g, '_') || 'image';
}
