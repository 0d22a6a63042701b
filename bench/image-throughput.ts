/**
 * Encoding images (issue 23): the shipped 512×512 images through the image model (whitening and
 * windows in the ONNX graph) against the same images through the TypeScript whitening and the patch
 * model, both at stride 8 with every output, in the same run; and the whitening's share of each.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultImagesDir } from '@entropy-sc/core/data/default-images';
import { grayFromPixels, readImagePixels, type ImagePixels } from '@entropy-sc/core/data/image-file';
import { whitenImage } from '@entropy-sc/core/data/whiten';
import { readModelFile } from '@entropy-sc/inference/card';
import { buildImageModel } from '@entropy-sc/inference/image-model-build';
import { loadModel, type EncoderModel } from '@entropy-sc/inference/model';

const SQUARE = ['astronaut.png', 'brick.png', 'camera.png', 'grass.png', 'gravel.png'];
const STRIDE = 8;

export interface ImageBench {
  threads: number;
  images: number;
  windowsPerImage: number;
  /** seconds per image, every output */
  imageModel: number;
  /** the image model given all images in one batch */
  imageModelBatched: number;
  tsAndPatchModel: number;
  /** seconds per image of the whitening alone: the graph pruned to `whitened`, and core's TypeScript */
  graphWhitening: number;
  tsWhitening: number;
}

async function secondsPerImage(images: ImagePixels[], run: (image: ImagePixels) => Promise<unknown>): Promise<number> {
  await run(images[0]!); // warm-up: sessions, plans
  const started = performance.now();
  for (const image of images) await run(image);
  return (performance.now() - started) / 1000 / images.length;
}

export async function measureImageEncode(modelPath: string, passes = 2): Promise<ImageBench> {
  const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-bench-image-'));
  const threads = availableParallelism();
  const models: EncoderModel[] = [];
  try {
    const file = await readModelFile(modelPath);
    const imagePath = join(dir, 'image.onnx');
    writeFileSync(imagePath, buildImageModel(file.model, file.card, STRIDE).bytes);
    const image = await loadModel(imagePath, { intraOpThreads: threads });
    const patch = await loadModel(modelPath, { intraOpThreads: threads });
    models.push(image, patch);
    const once = SQUARE.map((name) => readImagePixels(join(defaultImagesDir, name)));
    const images = Array.from({ length: passes }, () => once).flat();
    const [first] = await image.encodeImages([once[0]!], { outputs: ['elbo'] });
    const windowsPerImage = first!.tops.length * first!.lefts.length;

    const imageModel = await secondsPerImage(images, (i) => image.encodeImages([i]));
    await image.encodeImages(once);
    const batchedStarted = performance.now();
    for (let p = 0; p < passes; p++) await image.encodeImages(once);
    const imageModelBatched = (performance.now() - batchedStarted) / 1000 / images.length;
    const tsAndPatchModel = await secondsPerImage(images, (i) => patch.encodeImages([i], { stride: STRIDE }));
    const graphWhitening = await secondsPerImage(images, (i) => image.encodeImages([i], { outputs: ['whitened'] }));
    const tsWhitening = await secondsPerImage(images, async (i) => whitenImage(grayFromPixels(i)));
    return {
      threads,
      images: images.length,
      windowsPerImage,
      imageModel,
      imageModelBatched,
      tsAndPatchModel,
      graphWhitening,
      tsWhitening,
    };
  } finally {
    for (const m of models) await m.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function imageTable(b: ImageBench): string[] {
  const row = (name: string, seconds: number, whitening: number | null) =>
    `| ${name} | ${b.threads} | ${(1 / seconds).toFixed(2)} | ${(b.windowsPerImage / seconds).toFixed(0)} | ${(b.tsAndPatchModel / seconds).toFixed(2)} | ${whitening === null ? '–' : `${((100 * whitening) / seconds).toFixed(0)}%`} |`;
  return [
    `| encode 512×512 images, stride 8 (${b.windowsPerImage} windows each), every output | threads | images/s | windows/s | × TS + patch model | whitening's share |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    row(
      'TypeScript whitening + patch model (`encode --model default.onnx --data images:`)',
      b.tsAndPatchModel,
      b.tsWhitening,
    ),
    row('image model, one image per run (`export --image`)', b.imageModel, b.graphWhitening),
    row(`image model, ${b.images / 2} equal-size images per run`, b.imageModelBatched, null),
  ];
}
