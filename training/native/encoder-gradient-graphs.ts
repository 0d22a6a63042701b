/**
 * The amortized encoder's forward pass and its backward pass as two ONNX graphs, for training under
 * onnxruntime (native GEMMs on every core instead of tfjs-wasm's). The weights are graph inputs, so
 * one session serves every step.
 *
 * forward: x → the heads (ν, the std head's pre-activation, V's) and the activations the backward
 *   pass needs (each block's input h_k and its expand layer's pre-activation e_k).
 * backward: those activations and ∂L/∂(heads) → ∂L/∂(every weight and bias), by the chain rule of
 *   y = x·W + b (∂W = xᵀ·∂y, ∂b = Σ_rows ∂y, ∂x = ∂y·Wᵀ), ReLU (∂x = ∂y ⊙ [x > 0]) and the residual
 *   sum; the input layer's data needs no gradient.
 */
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import type { EncoderConfig } from '../encoder/encoder.ts';
import { LAYER_NAMES, layerOrder } from '../export/encoder-graph.ts';
import { GraphBuilder } from '../export/graph-builder.ts';
import { modelBytes } from '../export/onnx-model.ts';

/** Names of the heads' outputs (forward) and of their gradients (backward inputs). */
export const HEADS = { mean: 'mean', std: 'std_pre', factor: 'factor_pre' } as const;
const gradientOf = (name: string) => `${name}.grad`;
const hiddenName = (k: number) => `hidden${k}`;
const innerName = (k: number) => `inner${k}`;

export interface LayerShape {
  name: string;
  inputs: number;
  outputs: number;
}

/** Every dense layer in the order of Encoder.variables() (weight, then bias, of each). */
export function layerShapes(c: EncoderConfig): LayerShape[] {
  const { d, h, hidden, inner, rank } = c;
  const shapes: Array<[number, number]> = [[d, hidden]];
  for (let k = 0; k < c.blocks; k++) shapes.push([hidden, inner], [inner, hidden]);
  shapes.push([hidden, h], [hidden, h]);
  if (c.family === 'lowrank') shapes.push([hidden, h * rank]);
  return layerOrder(c.blocks, c.family === 'lowrank').map((name, i) => ({ name, inputs: shapes[i]![0], outputs: shapes[i]![1] }));
}

/** The graph inputs of the weights: `<layer>.weight` [in, out] and `<layer>.bias` [out]. */
function weightInputs(g: GraphBuilder, layers: LayerShape[]): void {
  for (const l of layers) {
    g.input(`${l.name}.weight`, [l.inputs, l.outputs], false);
    g.input(`${l.name}.bias`, [l.outputs], false);
  }
}

function dense(g: GraphBuilder, name: string, x: string, output?: string): string {
  return g.op('Gemm', [x, `${name}.weight`, `${name}.bias`], {}, output);
}

export interface GradientGraphs {
  forward: Uint8Array;
  backward: Uint8Array;
  /** forward's outputs: the heads, then the saved activations (backward's inputs besides x, the weights and the heads' gradients) */
  forwardOutputs: string[];
  saved: string[];
  /** backward's inputs that are gradients of the heads, in forwardOutputs' order */
  headGradients: string[];
  /** backward's outputs, in the order of Encoder.variables() */
  weightGradients: string[];
}

export function encoderGradientGraphs(c: EncoderConfig): GradientGraphs {
  const layers = layerShapes(c);
  const lowrank = c.family === 'lowrank';
  const heads = [HEADS.mean, HEADS.std, ...(lowrank ? [HEADS.factor] : [])];
  const headLayers = [LAYER_NAMES.mean, LAYER_NAMES.std, ...(lowrank ? [LAYER_NAMES.factor] : [])];
  const saved = [...Array.from({ length: c.blocks + 1 }, (_, k) => hiddenName(k)), ...Array.from({ length: c.blocks }, (_, k) => innerName(k))];

  const f = new GraphBuilder();
  f.input(INPUT_NAME, [c.d]);
  weightInputs(f, layers);
  let hidden = dense(f, LAYER_NAMES.input, INPUT_NAME, hiddenName(0));
  for (let k = 0; k < c.blocks; k++) {
    const e = dense(f, LAYER_NAMES.expand(k), f.op('Relu', [hidden]), innerName(k));
    hidden = f.op('Add', [hidden, dense(f, LAYER_NAMES.project(k), f.op('Relu', [e]))], {}, hiddenName(k + 1));
  }
  heads.forEach((head, i) => dense(f, headLayers[i]!, hidden, head));
  const width = (name: string) => (name.startsWith('inner') ? c.inner : name.startsWith('hidden') ? c.hidden : name === HEADS.factor ? c.h * c.rank : c.h);
  for (const name of [...heads, ...saved]) f.output(name, [width(name)]);

  const b = new GraphBuilder();
  b.input(INPUT_NAME, [c.d]);
  weightInputs(b, layers);
  for (const name of saved) b.input(name, [width(name)]);
  for (const head of heads) b.input(gradientOf(head), [width(head)]);
  const grads = new Map<string, [string, string]>();
  /** ∂W, ∂b of a layer with input x and output gradient gy; @returns ∂x */
  const back = (name: string, x: string, gy: string, needInput = true): string | null => {
    grads.set(name, [b.op('Gemm', [x, gy], { transA: { int: 1 } }), b.op('ReduceSum', [gy, b.int64(`axes_0_${name}`, [0])], { keepdims: { int: 0 } })]);
    return needInput ? b.op('Gemm', [gy, `${name}.weight`], { transB: { int: 1 } }) : null;
  };
  const top = hiddenName(c.blocks);
  let gHidden = heads.map((head, i) => back(headLayers[i]!, top, gradientOf(head))!).reduce((sum, t) => b.op('Add', [sum, t]));
  const mask = (t: string) => b.op('Cast', [b.op('Greater', [t, b.scalar(0)])], { to: { int: 1 } });
  for (let k = c.blocks - 1; k >= 0; k--) {
    const e = innerName(k);
    const gInner = b.op('Mul', [back(LAYER_NAMES.project(k), b.op('Relu', [e]), gHidden)!, mask(e)]);
    const gRelu = back(LAYER_NAMES.expand(k), b.op('Relu', [hiddenName(k)]), gInner)!;
    gHidden = b.op('Add', [gHidden, b.op('Mul', [gRelu, mask(hiddenName(k))])]);
  }
  back(LAYER_NAMES.input, INPUT_NAME, gHidden, false);
  const weightGradients: string[] = [];
  for (const l of layers) {
    const [gw, gb] = grads.get(l.name)!;
    const names = [b.op('Identity', [gw], {}, gradientOf(`${l.name}.weight`)), b.op('Identity', [gb], {}, gradientOf(`${l.name}.bias`))];
    b.output(names[0]!, [l.inputs, l.outputs], false);
    b.output(names[1]!, [l.outputs], false);
    weightGradients.push(...names);
  }
  return {
    forward: modelBytes(f, 'entropy_sc_encoder_forward', `entropy-sc ${c.family} encoder: heads and saved activations, weights as inputs`),
    backward: modelBytes(b, 'entropy_sc_encoder_backward', `entropy-sc ${c.family} encoder: gradients of the weights from the heads' gradients`),
    forwardOutputs: [...heads, ...saved],
    saved,
    headGradients: heads.map(gradientOf),
    weightGradients,
  };
}
