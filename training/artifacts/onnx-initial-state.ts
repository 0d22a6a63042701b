/**
 * Starting a training run from an exported encoder (`demo` fine-tunes the shipped model): the ONNX
 * file's initializers become the learner's variables, in the order of a checkpoint, with Adam's
 * moments at zero. The dictionary starts from W̃ (the stored W is normalised inside the objective).
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { UserError } from '@entropy-sc/core/errors';
import { parseModelCard, type ModelCard } from '@entropy-sc/core/schema/model-card';
import { INITIALIZER_NAMES, MODEL_CARD_KEY } from '@entropy-sc/core/schema/onnx-contract';
import type { LearnerState } from '../learners/learner.ts';
import { encoderConfigOf, layerShapes } from '@entropy-sc/graph/encoder-spec';

export interface OnnxStart {
  card: ModelCard;
  state: LearnerState;
}

export async function initialStateFromOnnx(path: string): Promise<OnnxStart> {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(await readFile(path));
  } catch (error) {
    throw new UserError(`${path}: cannot read it as an ONNX model (${(error as Error).message.split('\n')[0]})`);
  }
  const entry = (model.metadataProps ?? []).find((p) => p.key === MODEL_CARD_KEY);
  if (!entry?.value) throw new UserError(`${path}: not an entropy-sc encoder (no model card)`);
  const card = parseModelCard(JSON.parse(entry.value), path);
  const initializers = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const float = (name: string): Float32Array => {
    const raw = initializers.get(name)?.rawData;
    if (!raw) throw new UserError(`${path}: no float initializer ${name}`);
    return new Float32Array(Uint8Array.from(raw).buffer);
  };
  const encoder = encoderConfigOf(card.config, card.d);
  if (!encoder) throw new UserError(`${path}: its model card describes no encoder`);
  const arrays: Record<string, Float32Array> = {};
  const variables = [
    ...layerShapes(encoder).flatMap((layer) => [float(`${layer.name}.weight`), float(`${layer.name}.bias`)]),
    float(INITIALIZER_NAMES.dictionary),
  ];
  variables.forEach((values, i) => {
    arrays[`var${i}`] = values;
    arrays[`adam${i}/m`] = new Float32Array(values.length);
    arrays[`adam${i}/v`] = new Float32Array(values.length);
  });
  return { card, state: { state: { adamStep: 0 }, arrays } };
}
