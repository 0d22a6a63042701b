/**
 * An exported encoder as ONNX bytes (IR 8, opset 17): the graph of encoder-graph.ts and the model
 * card in `metadata_props` (with ONNX's standard `model_author` / `model_license` keys).
 */
import onnxProto from 'onnx-proto';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import {
  MODEL_AUTHOR_KEY,
  MODEL_CARD_KEY,
  MODEL_LICENSE_KEY,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type OutputName,
} from '@entropy-sc/core/schema/onnx-contract';
import { VERSION } from '@entropy-sc/core/version';
import { buildEncoderGraph, type EncoderGraphOptions, type EncoderWeights, type FrozenTheta } from './encoder-graph.ts';
import { GraphBuilder } from './graph-builder.ts';

const { onnx } = onnxProto;

export interface OnnxEncoder {
  bytes: Uint8Array;
  outputs: OutputName[];
}

/** @param card the model card (its `name` names the graph) */
export function encoderModelBytes(
  weights: EncoderWeights,
  theta: FrozenTheta,
  card: ModelCard,
  options: EncoderGraphOptions,
): OnnxEncoder {
  const g = new GraphBuilder();
  const outputs = buildEncoderGraph(g, weights, theta, options);
  const bytes = modelBytes(
    g,
    card.name,
    `entropy-sc ${card.family} encoder, D=${card.d}, H=${card.h}: posterior moments, W̃·ν and the per-point ELBO of rows x`,
    [
      { key: MODEL_CARD_KEY, value: JSON.stringify(card) },
      { key: MODEL_AUTHOR_KEY, value: 'entropy-sc' },
      { key: MODEL_LICENSE_KEY, value: 'MIT' },
    ],
  );
  return { bytes, outputs };
}

/** The ONNX bytes (IR 8, opset 17, and opset 1 of any other domain its nodes use) of the graph in `g`. */
export function modelBytes(
  g: GraphBuilder,
  name: string,
  docString: string,
  metadataProps: onnxProto.onnx.IStringStringEntryProto[] = [],
): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }, ...[...g.domains].map((domain) => ({ domain, version: 1 }))],
    producerName: 'entropy-sc',
    producerVersion: VERSION,
    docString,
    graph: g.graph(name),
    metadataProps,
  };
  return onnx.ModelProto.encode(model).finish();
}
