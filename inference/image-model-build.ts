/**
 * The image model of a patch model (cli.md `export --image`), built by graph composition: the same
 * encoder, with the card's preprocessing and window grid in front (@entropy-sc/graph). `export
 * --image`, `export --triton` and the library share it; no TensorFlow.js involved.
 */
import onnxProto from 'onnx-proto';
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { MODEL_CARD_KEY } from '@entropy-sc/core/schema/onnx-contract';
import { composeImageModel } from '@entropy-sc/graph/image-model-graph';
import type { ModelProto } from './card.ts';
import { patchSize } from './image-patches.ts';

const { onnx } = onnxProto;

export interface ImageModelFile {
  bytes: Uint8Array;
  card: ModelCard;
}

/** The default stride: half a window. */
export function defaultStride(p: number): number {
  return Math.max(1, Math.floor(p / 2));
}

/** The image model's card: the patch model's, named `<name>-image`, with its window and stride. */
function imageModelCard(card: ModelCard, stride: number): ModelCard {
  const p = patchSize(card);
  if (card.image) throw new UserError(`model ${card.name} already takes images`);
  const whitening = card.preprocessing['whitening'];
  if (!hasImageModel(card))
    throw new UserError(
      `model ${card.name} did not learn from whitened photographs (data ${card.data.kind}, whitening ${JSON.stringify(whitening ?? 'none')}), so it has no image model`,
    );
  if (!(Number.isInteger(stride) && stride >= 1 && stride <= p))
    throw new UserError(`--stride ${stride}: the windows' stride must be between 1 and the window side ${p}`);
  return { ...card, name: `${card.name}-image`, image: { patch: p, stride } };
}

/**
 * @param patchModel the patch model (input rows x [batch, P²])
 * @param card its card
 * @param stride pixels between neighbouring windows (default P/2)
 */
export function buildImageModel(patchModel: ModelProto, card: ModelCard, stride?: number): ImageModelFile {
  const imageCard = imageModelCard(card, stride ?? defaultStride(patchSize(card)));
  const { patch, stride: s } = imageCard.image!;
  const metadataProps = (patchModel.metadataProps ?? []).map((entry) =>
    entry.key === MODEL_CARD_KEY ? { key: entry.key, value: JSON.stringify(imageCard) } : { ...entry },
  );
  const model = composeImageModel(patchModel, {
    patch,
    stride: s,
    name: imageCard.name,
    docString: `entropy-sc image model of ${card.name}: uint8 images in; gray, whitened as the card says, ${patch}×${patch} windows at stride ${s}, then the encoder; codes and ELBO per window, reconstruction and whitened per pixel`,
    metadataProps,
  });
  return { bytes: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), card: imageCard };
}

/** Whether `card`'s model has an image model (it learned from whitened photographs). */
export function hasImageModel(card: ModelCard): boolean {
  const whitening = card.preprocessing['whitening'];
  return !card.image && card.data.kind === 'images' && typeof whitening === 'object' && whitening !== null;
}
