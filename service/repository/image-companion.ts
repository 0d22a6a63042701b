/**
 * A model file served with its image model (cli.md `serve`: the shipped model and its image model by
 * default, `--model M.onnx` and its image model where it has one): a patch model that learned from
 * whitened photographs gets its image model built at start (the inference package's graph
 * composition, as `export --image` builds it), written to a temporary file of its own that is
 * removed when the service closes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { readModelFile } from '@entropy-sc/inference/card';
import { buildImageModel, hasImageModel } from '@entropy-sc/inference/image-model-build';
import type { ModelSource } from './model-sources.ts';

export async function withImageModel(path: string): Promise<{ sources: ModelSource[]; cleanup(): Promise<void> }> {
  const file = await readModelFile(path);
  const own: ModelSource = { path, version: '1' };
  if (!hasImageModel(file.card)) return { sources: [own], cleanup: async () => {} };
  const image = buildImageModel(file.model, file.card);
  const folder = await mkdtemp(join(tmpdir(), 'entropy-sc-image-model-'));
  const imagePath = join(folder, 'model.onnx');
  await writeFileAtomic(imagePath, image.bytes);
  return {
    sources: [own, { path: imagePath, name: image.card.name, version: '1' }],
    cleanup: () => rm(folder, { recursive: true, force: true }),
  };
}
