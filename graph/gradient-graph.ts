/**
 * One ONNX graph from a minibatch and every parameter (the encoder's weights and W, graph inputs, so
 * one session serves every step) to the gradient of the batch's L_{γ,δ} with respect to all of them,
 * for training under onnxruntime (native GEMMs on every core):
 *
 * forward: x → the heads (ν, the std head's pre-activation, V's), keeping each block's input h_k and
 *   its expand layer's pre-activation e_k;
 * objective: the heads and W → the batch sums of the point statistics and ∂L/∂(heads), ∂L/∂W
 *   (objective-gradient-nodes.ts);
 * backward: ∂L/∂(heads) → ∂L/∂(every weight and bias), by the chain rule of y = x·W + b
 *   (∂W = xᵀ·∂y, ∂b = Σ_rows ∂y, ∂x = ∂y·Wᵀ), ReLU (∂x = ∂y ⊙ [x > 0]) and the residual sum; the
 *   input layer's data needs no gradient.
 */
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { LAYER_NAMES, layerShapes, type EncoderConfig, type LayerShape } from './encoder-spec.ts';
import { GraphBuilder } from './graph-builder.ts';
import { modelBytes } from './model-bytes.ts';
import { objectiveGradientNodes } from './objective-gradient-nodes.ts';

/** Names of the graph's inputs besides x and the weights (`<layer>.weight`, `<layer>.bias`). */
export const STEP_INPUTS = { dictionary: 'dictionary', gamma: 'gamma', delta: 'delta' } as const;
const gradientOf = (name: string) => `${name}.grad`;

/** The graph inputs of the weights: `<layer>.weight` [in, out] and `<layer>.bias` [out]. */
function weightInputs(g: GraphBuilder, layers: LayerShape[]): void {
  for (const l of layers) {
    g.input(`${l.name}.weight`, [l.inputs, l.outputs], false);
    g.input(`${l.name}.bias`, [l.outputs], false);
  }
}

function dense(g: GraphBuilder, name: string, x: string): string {
  return g.scope(name.replaceAll('.', '/'), () => g.op('Gemm', [x, `${name}.weight`, `${name}.bias`]));
}

export interface GradientGraph {
  bytes: Uint8Array;
  /** ∂L/∂(each weight and bias) in the order of Encoder.variables(), then ∂L/∂W */
  gradients: string[];
  /** the batch sums Σ_n scaledM_n [H], Σ_n SE_n, Σ_n logDet_n */
  sums: { scaledM: string; squaredError: string; logDet: string };
}

export function gradientGraph(c: EncoderConfig): GradientGraph {
  const layers = layerShapes(c);
  const lowrank = c.family === 'lowrank';
  const g = new GraphBuilder();
  g.input(INPUT_NAME, [c.d]);
  weightInputs(g, layers);
  g.input(STEP_INPUTS.dictionary, [c.d, c.h], false);
  g.input(STEP_INPUTS.gamma, [], false);
  g.input(STEP_INPUTS.delta, [], false);

  const hiddens = [dense(g, LAYER_NAMES.input, INPUT_NAME)];
  const inners: string[] = [];
  for (let k = 0; k < c.blocks; k++) {
    const inBlock = (op: string, inputs: string[]) => g.scope(`encoder/block${k}`, () => g.op(op, inputs));
    inners.push(dense(g, LAYER_NAMES.expand(k), inBlock('Relu', [hiddens[k]!])));
    const projected = dense(g, LAYER_NAMES.project(k), inBlock('Relu', [inners[k]!]));
    hiddens.push(inBlock('Add', [hiddens[k]!, projected]));
  }
  const top = hiddens[c.blocks]!;
  const heads = {
    mean: dense(g, LAYER_NAMES.mean, top),
    std: dense(g, LAYER_NAMES.std, top),
    factor: lowrank ? dense(g, LAYER_NAMES.factor, top) : null,
  };
  const objective = objectiveGradientNodes(g, {
    x: INPUT_NAME,
    heads,
    dictionary: STEP_INPUTS.dictionary,
    gamma: STEP_INPUTS.gamma,
    delta: STEP_INPUTS.delta,
    d: c.d,
    h: c.h,
    rank: c.rank,
  });

  const grads = new Map<string, [string, string]>();
  /** ∂W, ∂b of a layer with input x and output gradient gy; @returns ∂x */
  const back = (name: string, x: string, gy: string, needInput = true): string | null =>
    g.scope(`backward/${name.replaceAll('.', '/')}`, () => {
      grads.set(name, [
        g.scope('weight', () => g.op('Gemm', [x, gy], { transA: { int: 1 } })),
        g.scope('bias', () => g.op('ReduceSum', [gy, g.int64(`axes_0_${name}`, [0])], { keepdims: { int: 0 } })),
      ]);
      return needInput ? g.scope('input', () => g.op('Gemm', [gy, `${name}.weight`], { transB: { int: 1 } })) : null;
    });
  const headGradients: Array<[string, string]> = [
    [LAYER_NAMES.mean, objective.heads.mean],
    [LAYER_NAMES.std, objective.heads.std],
  ];
  if (objective.heads.factor) headGradients.push([LAYER_NAMES.factor, objective.heads.factor]);
  let gHidden = headGradients
    .map(([layer, gy]) => back(layer, top, gy)!)
    .reduce((sum, t) => g.scope('backward/heads', () => g.op('Add', [sum, t])));
  const mask = (t: string) => g.op('Cast', [g.op('Greater', [t, g.scalar(0)])], { to: { int: 1 } });
  for (let k = c.blocks - 1; k >= 0; k--) {
    const inBlock = <T>(build: () => T) => g.scope(`backward/encoder/block${k}`, build);
    const e = inners[k]!;
    const gProject = back(
      LAYER_NAMES.project(k),
      inBlock(() => g.op('Relu', [e])),
      gHidden,
    )!;
    const gInner = inBlock(() => g.op('Mul', [gProject, mask(e)]));
    const gExpand = back(
      LAYER_NAMES.expand(k),
      inBlock(() => g.op('Relu', [hiddens[k]!])),
      gInner,
    )!;
    gHidden = inBlock(() => g.op('Add', [gHidden, g.op('Mul', [gExpand, mask(hiddens[k]!)])]));
  }
  back(LAYER_NAMES.input, INPUT_NAME, gHidden, false);

  const gradients: string[] = [];
  const output = (node: string, name: string, dims: number[]) => {
    g.output(
      g.scope('gradients', () => g.op('Identity', [node], {}, name)),
      dims,
      false,
    );
    gradients.push(name);
  };
  for (const l of layers) {
    const [gw, gb] = grads.get(l.name)!;
    output(gw, gradientOf(`${l.name}.weight`), [l.inputs, l.outputs]);
    output(gb, gradientOf(`${l.name}.bias`), [l.outputs]);
  }
  output(objective.dictionary, gradientOf(STEP_INPUTS.dictionary), [c.d, c.h]);
  const sums = { scaledM: 'scaled_m_sum', squaredError: 'squared_error_sum', logDet: 'log_det_sum' };
  g.scope('batch_sums', () => {
    g.output(g.op('Identity', [objective.sums.scaledM], {}, sums.scaledM), [c.h], false);
    g.output(g.op('Identity', [objective.sums.squaredError], {}, sums.squaredError), [], false);
    g.output(g.op('Identity', [objective.sums.logDet], {}, sums.logDet), [], false);
  });
  return {
    bytes: modelBytes(
      g,
      'entropy_sc_training_gradient',
      `entropy-sc ${c.family} encoder: gradients of a minibatch's L_{γ,δ} with respect to the weights and W`,
    ),
    gradients,
    sums,
  };
}
