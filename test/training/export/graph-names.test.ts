/**
 * Graph nodes named by what they compute (graph/graph-builder.ts `scope`), so that a model opened in
 * Netron reads against docs/math.md: every node of the exported encoder and of the training gradient
 * graph has a unique name under a scope, and the contract's outputs and initializers keep their names.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { INITIALIZER_NAMES, OUTPUT_NAMES } from '../../../src/schema/onnx-contract.ts';
import { defaultEncoderConfig } from '../../../graph/encoder-spec.ts';
import { gradientGraph } from '../../../graph/gradient-graph.ts';
import { composeImageModel } from '../../../graph/image-model-graph.ts';
import { encoderModelBytes } from '../../../graph/model-bytes.ts';
import { Encoder } from '../../../training/model/encoder.ts';
import { encoderWeights } from '../../../training/model/encoder-weights.ts';
import { testCard } from '../../helpers/model-card.ts';
import '../../helpers/tf-setup.ts';

const { onnx } = onnxProto;

function nodeNames(bytes: Uint8Array): string[] {
  return (onnx.ModelProto.decode(bytes).graph!.node ?? []).map((n) => n.name ?? '');
}

describe('graph node names', () => {
  it('the exported low-rank encoder: unique scoped names for math.md terms, contract names kept', () => {
    const config = defaultEncoderConfig(9, 4, 'lowrank', 2);
    const encoder = new Encoder(config, 1);
    const { bytes } = encoderModelBytes(
      encoderWeights(encoder),
      { dictionary: new Float32Array(36).fill(0.5), priorScales: new Float32Array(4).fill(1), noiseVariance: 0.1 },
      testCard('lowrank', 9, 4, 2, 0.1),
      { fullCovariance: true },
    );
    encoder.dispose();
    const names = nodeNames(bytes);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => name.includes('/'))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        'encoder/input/gemm',
        'encoder/block0/expand/gemm',
        'encoder/block1/add',
        'encoder/mean/gemm',
        'posterior/T_hh/add',
        'statistics/log_det/det',
        'statistics/trace/matmul',
        'elbo/entropy_q/mul',
        'elbo/log_prior/neg',
        'reconstruction/gemm',
      ]),
    );
    const graph = onnx.ModelProto.decode(bytes).graph!;
    expect((graph.output ?? []).map((o) => o.name)).toEqual(
      OUTPUT_NAMES.filter((name) => name !== 'whitened').map(String),
    );
    const initializers = (graph.initializer ?? []).map((t) => t.name);
    expect(initializers).toEqual(expect.arrayContaining([...Object.values(INITIALIZER_NAMES), 'encoder.input.weight']));
  });

  it('the image model: its preprocessing scoped as math.md names it, the patch model under patch/', () => {
    const config = defaultEncoderConfig(9, 4, 'diag');
    const encoder = new Encoder(config, 1);
    const { bytes } = encoderModelBytes(
      encoderWeights(encoder),
      { dictionary: new Float32Array(36).fill(0.5), priorScales: new Float32Array(4).fill(1), noiseVariance: 0.1 },
      testCard('diag', 9, 4, 1, 0.1),
      { fullCovariance: false },
    );
    encoder.dispose();
    const image = composeImageModel(onnx.ModelProto.decode(bytes), {
      patch: 3,
      stride: 2,
      name: 'image',
      docString: '',
      metadataProps: [],
    });
    const names = (image.graph!.node ?? []).map((n) => n.name ?? '');
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => name.includes('/'))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        'gray/matmul',
        'whitening/dft_rows/dft',
        'whitening/filter_R/exp',
        'whitening/inverse_dft_rows/dft',
        'windows/gather',
        'patch/encoder/input/gemm',
        'patch/elbo/entropy_q/mul',
        'per_window/mean/reshape',
        'reconstruction_average/identity',
      ]),
    );
  });

  it('the training gradient graph: unique names, the backward pass under backward/', () => {
    const names = nodeNames(gradientGraph(defaultEncoderConfig(9, 4, 'lowrank', 2)).bytes);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => name.includes('/'))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        'encoder/block0/expand/gemm',
        'posterior/T_hh/add',
        'statistics/log_det/det',
        'objective_gradient/d_log_det_C/inverse',
        'objective_gradient/d_T_hh/div',
        'backward/encoder/block0/expand/weight/gemm',
        'batch_sums/reducesum',
      ]),
    );
  });
});
