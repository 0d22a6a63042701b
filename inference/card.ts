/**
 * Reading an exported encoder's file: the ONNX protobuf and the model card in its `metadata_props`
 * (onnxruntime-node does not expose them, so the file is decoded here with the ONNX schema).
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { UserError } from '@entropy-sc/core/errors';
import { parseModelCard, type ModelCard } from '@entropy-sc/core/schema/model-card';
import { MODEL_CARD_KEY } from '@entropy-sc/core/schema/onnx-contract';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;

export interface ModelFile {
  bytes: Uint8Array;
  model: ModelProto;
  card: ModelCard;
}

/** Reads and decodes `path`; one UserError if it is not ONNX or carries no entropy-sc card. */
export async function readModelFile(path: string): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${path}: no such model file` : `${path}: cannot read the model (${code ?? String(error)})`,
    );
  }
  const model = decodeModel(bytes, path);
  return { bytes, model, card: modelCardOf(model, path) };
}

/** @throws UserError unless `bytes` decode to an ONNX model with a graph */
export function decodeModel(bytes: Uint8Array, path: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new UserError(`${path}: not an ONNX model (it does not decode as an ONNX ModelProto)`);
  }
  if (!model.graph || Number(model.irVersion) <= 0 || (model.graph.node ?? []).length === 0)
    throw new UserError(`${path}: not an ONNX model (no graph)`);
  return model;
}

/** The model card of an entropy-sc encoder, validated. */
export function modelCardOf(model: ModelProto, path: string): ModelCard {
  const entry = model.metadataProps.find((p) => p.key === MODEL_CARD_KEY);
  if (!entry)
    throw new UserError(
      `${path}: an ONNX model but not an entropy-sc encoder (no ${MODEL_CARD_KEY} in its metadata_props)`,
    );
  let value: unknown;
  try {
    value = JSON.parse(entry.value ?? '');
  } catch {
    throw new UserError(`${path}: its ${MODEL_CARD_KEY} metadata is not valid JSON`);
  }
  return parseModelCard(value, path);
}
