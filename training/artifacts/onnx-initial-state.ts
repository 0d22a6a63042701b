/**
 * Starting a training run from an exported encoder (`demo` fine-tunes the shipped model): the ONNX
 * file's initializers become the learner's variables, in the order of a checkpoint, with Adam's
 * moments at zero. The dictionary starts from W̃ (the stored W is normalised inside the objective).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { INITIALIZER_NAMES } from '@entropy-sc/core/schema/onnx-contract';
import { encoderConfigOfCard, layerShapes } from '@entropy-sc/graph/encoder-spec';
import { decodeModel, modelCardOf } from '@entropy-sc/inference/card';
import type { LearnerState } from '../learners/learner.ts';
import { onnxArtifactOf } from './onnx-model.ts';

export interface OnnxStart {
  card: ModelCard;
  state: LearnerState;
}

export async function initialStateFromOnnx(path: string): Promise<OnnxStart> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UserError(`${path}: cannot read it as an ONNX model (${(error as Error).message.split('\n')[0]})`);
  }
  const model = decodeModel(bytes, path);
  const { card, floats } = onnxArtifactOf({ bytes, model, card: modelCardOf(model, path) }, path);
  const encoder = encoderConfigOfCard(card);
  if (!encoder) throw new UserError(`${path}: its model card describes no encoder`);
  const arrays: Record<string, Float32Array> = {};
  const variables = [
    ...layerShapes(encoder).flatMap((layer) => [floats(`${layer.name}.weight`), floats(`${layer.name}.bias`)]),
    floats(INITIALIZER_NAMES.dictionary),
  ];
  variables.forEach((values, i) => {
    arrays[`var${i}`] = values;
    arrays[`adam${i}/m`] = new Float32Array(values.length);
    arrays[`adam${i}/v`] = new Float32Array(values.length);
  });
  return { card, state: { state: { adamStep: 0 }, arrays } };
}
