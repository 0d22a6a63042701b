/**
 * Image model, second step: the card's whitening of each image (math.md, "Natural image patches";
 * core's whitening-filter.ts) as ONNX nodes, for any height and width: mean subtracted, the 2-D DFT
 * (ONNX DFT, opset 17), the filter R computed from the input's shape, the inverse DFT, variance 0.1.
 * All in float64, as core's TypeScript whitening (whiten.ts), so the two agree to float32 rounding.
 *
 * A constant image has nothing to whiten (zero variance): its whitened image is all zeros rather
 * than NaN; the library refuses such an image by name before running the graph.
 */
import { whitenedVariance, whiteningResponse, type Arithmetic } from '@entropy-sc/core/data/whitening-filter';
import { ElementType, type GraphBuilder } from './graph-builder.ts';

const DOUBLE = { int: ElementType.DOUBLE };

/** Graph nodes as the filter's arithmetic (float64 scalars for constants). */
function graphArithmetic(g: GraphBuilder): Arithmetic<string> {
  return {
    constant: (value) => g.double([value], []),
    add: (a, b) => g.op('Add', [a, b]),
    mul: (a, b) => g.op('Mul', [a, b]),
    div: (a, b) => g.op('Div', [a, b]),
    neg: (a) => g.op('Neg', [a]),
    sqrt: (a) => g.op('Sqrt', [a]),
    exp: (a) => g.op('Exp', [a]),
  };
}

/**
 * Frequencies in cycles per pixel of the DFT indices of an axis of length n (a scalar int64):
 * index k is frequency k for k < n/2 and k − n otherwise, i.e. ((k + ⌊n/2⌋) mod n − ⌊n/2⌋) / n.
 * @returns float64 [n]
 */
function axisFrequencies(g: GraphBuilder, n: string): string {
  const k = g.op('Range', [g.longs([0], []), n, g.longs([1], [])]);
  const half = g.op('Div', [n, g.longs([2], [])]);
  const signed = g.op('Sub', [g.op('Mod', [g.op('Add', [k, half]), n]), half]);
  return g.op('Div', [g.op('Cast', [signed], { to: DOUBLE }), g.op('Cast', [n], { to: DOUBLE })]);
}

/**
 * The filter R in DFT order for images shaped like `gray`, transposed as the spectrum is (spectrum()).
 * @returns float64 [W, H, 1] (the last axis broadcasts over real and imaginary parts)
 */
function filterNodes(g: GraphBuilder, gray: string): string {
  const shape = g.op('Shape', [gray]);
  const height = g.op('Gather', [shape, g.longs([1], [])]);
  const width = g.op('Gather', [shape, g.longs([2], [])]);
  const fy = g.op('Unsqueeze', [axisFrequencies(g, height), g.longs([0])]);
  const fx = g.op('Unsqueeze', [axisFrequencies(g, width), g.longs([1])]);
  const area = g.op('Mul', [g.op('Cast', [height], { to: DOUBLE }), g.op('Cast', [width], { to: DOUBLE })]);
  const response = whiteningResponse(graphArithmetic(g), fx, fy, g.op('Sqrt', [area]));
  return g.op('Unsqueeze', [response, g.longs([2])]);
}

/**
 * onnxruntime's DFT runs several times faster along the innermost signal axis than along a strided
 * one, so each 2-D transform is two DFTs on axis 2 with a transpose of the image axes between them:
 * the spectrum is held transposed, [B, W, H, 2].
 */
const swap = { perm: { ints: [0, 2, 1, 3] } };

/** [B, H, W, 1] real → its 2-D DFT, transposed: [B, W, H, 2]. */
function spectrum(g: GraphBuilder, signal: string): string {
  const rows = g.scope('dft_rows', () => g.op('DFT', [signal], { axis: { int: 2 } }));
  return g.scope('dft_columns', () => g.op('DFT', [g.op('Transpose', [rows], swap)], { axis: { int: 2 } }));
}

/** A transposed spectrum [B, W, H, 2] → the inverse 2-D DFT (scaled by 1/(H·W)), [B, H, W, 2]. */
function inverse(g: GraphBuilder, transposed: string): string {
  const columns = g.scope('inverse_dft_columns', () =>
    g.op('DFT', [transposed], { axis: { int: 2 }, inverse: { int: 1 } }),
  );
  return g.scope('inverse_dft_rows', () =>
    g.op('DFT', [g.op('Transpose', [columns], swap)], { axis: { int: 2 }, inverse: { int: 1 } }),
  );
}

/**
 * @param gray float64 [B, H, W]
 * @returns whitened, float64 [B, H, W]: per image mean 0 and variance 0.1 (0 for a constant image)
 */
export function whiteningNodes(g: GraphBuilder, gray: string): string {
  const perImage = { axes: { ints: [1, 2] }, keepdims: { int: 1 } };
  return g.scope('whitening', () => {
    const centered = g.scope('mean_subtracted', () => g.op('Sub', [gray, g.op('ReduceMean', [gray], perImage)]));
    const transformed = spectrum(g, g.op('Unsqueeze', [centered, g.longs([3])]));
    const filter = g.scope('filter_R', () => filterNodes(g, gray));
    const back = inverse(
      g,
      g.scope('filtered', () => g.op('Mul', [transformed, filter])),
    );
    // R is real and even, so the result is real up to rounding: keep the real part
    const real = g.scope('real_part', () =>
      g.op('Squeeze', [g.op('Slice', [back, g.longs([0]), g.longs([1]), g.longs([3])]), g.longs([3])]),
    );
    return g.scope('variance_scaled', () => {
      const mean = g.op('ReduceMean', [real], perImage);
      const meanSquare = g.op('ReduceMean', [g.op('Mul', [real, real])], perImage);
      const variance = g.op('Sub', [meanSquare, g.op('Mul', [mean, mean])]);
      const range = g.op('Sub', [g.op('ReduceMax', [gray], perImage), g.op('ReduceMin', [gray], perImage)]);
      const varying = g.op('Cast', [g.op('Greater', [range, g.double([0], [])])], { to: DOUBLE });
      const floor = g.op('Max', [variance, g.double([1e-300], [])]);
      const scale = g.op('Mul', [g.op('Sqrt', [g.op('Div', [g.double([whitenedVariance], []), floor])]), varying]);
      return g.op('Mul', [real, scale]);
    });
  });
}
