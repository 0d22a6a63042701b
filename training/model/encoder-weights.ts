/** The weights of a TensorFlow.js encoder as plain arrays, in the layout the ONNX graph takes. */
import type { Encoder } from './encoder.ts';
import type { Dense } from './dense.ts';
import type { DenseWeights, EncoderWeights } from '@entropy-sc/graph/encoder-graph';

export function encoderWeights(encoder: Encoder): EncoderWeights {
  const { family, d, h, rank } = encoder.config;
  return {
    family,
    d,
    h,
    rank,
    input: denseWeights(encoder.input),
    blocks: encoder.blocks.map((b) => ({ expand: denseWeights(b.expand), project: denseWeights(b.project) })),
    meanHead: denseWeights(encoder.meanHead),
    stdHead: denseWeights(encoder.stdHead),
    factorHead: encoder.factorHead ? denseWeights(encoder.factorHead) : null,
  };
}

function denseWeights(layer: Dense): DenseWeights {
  const [inputs, outputs] = layer.weight.shape;
  return {
    weight: Float32Array.from(layer.weight.dataSync()),
    bias: Float32Array.from(layer.bias.dataSync()),
    inputs,
    outputs,
  };
}
