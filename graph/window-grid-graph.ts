/**
 * Image model, third step: the P×P windows of each image on a grid of stride S, as rows [windows, P²]
 * for a patch model. Top-left corners 0, S, 2S, … on each axis and the last window flush with the
 * bottom/right edge: origin i is min(i·S, n − P) for i < ⌈(n − P)/S⌉ + 1 (inference/image-patches.ts
 * cuts the same grid in TypeScript). Rows are ordered by image, then window row, then window column.
 */
import type { GraphBuilder } from './graph-builder.ts';

export interface WindowGrid {
  /** rows [B·R·C, P·P], each window row-major */
  rows: string;
  /** pixel indices of each window, int64 [R, P] (along the height) and [C, P] (along the width) */
  rowPixels: string;
  colPixels: string;
  /** B, R, C, H, W as int64 [1] each */
  batch: string;
  gridRows: string;
  gridCols: string;
  height: string;
  width: string;
}

/**
 * Pixel indices of the windows along an axis of length n (int64 [1]).
 * An axis shorter than P fails in onnxruntime (a reshape to a non-positive size), so a small image
 * is refused rather than read with wrapped indices.
 * @returns int64 [windows, P]
 */
function axisWindows(g: GraphBuilder, n: string, p: number, stride: number): string {
  const difference = g.op('Sub', [n, g.longs([p])]);
  // reshaped to its own length 1 when n ≥ P, to length 1 + 3·(n − P) ≤ −2 (an error) when n < P
  const length = g.op('Add', [g.op('Mul', [g.op('Min', [difference, g.longs([0])]), g.longs([3])]), g.longs([1])]);
  const last = g.op('Reshape', [difference, length]);
  const count = g.op('Add', [
    g.op('Div', [g.op('Add', [last, g.longs([stride - 1])]), g.longs([stride])]),
    g.longs([1]),
  ]);
  const scalar = (v: string) => g.op('Squeeze', [v, g.longs([0])]);
  const index = g.op('Range', [g.longs([0], []), scalar(count), g.longs([1], [])]);
  const origins = g.op('Min', [g.op('Mul', [index, g.longs([stride], [])]), scalar(last)]);
  const offsets = g.longs(
    Array.from({ length: p }, (_, a) => a),
    [1, p],
  );
  return g.op('Add', [g.op('Unsqueeze', [origins, g.longs([1])]), offsets]);
}

/** @param image [B, H, W] (any element type) */
export function windowGridNodes(g: GraphBuilder, image: string, p: number, stride: number): WindowGrid {
  return g.scope('windows', () => {
    const shape = g.op('Shape', [image]);
    const dim = (axis: number) => g.op('Slice', [shape, g.longs([axis]), g.longs([axis + 1]), g.longs([0])]);
    const [batch, height, width] = [dim(0), dim(1), dim(2)];
    const rowPixels = axisWindows(g, height, p, stride);
    const colPixels = axisWindows(g, width, p, stride);
    const byRows = g.op('Gather', [image, rowPixels], { axis: { int: 1 } }); // [B, R, P, W]
    const windows = g.op('Gather', [byRows, colPixels], { axis: { int: 3 } }); // [B, R, P, C, P]
    const ordered = g.op('Transpose', [windows], { perm: { ints: [0, 1, 3, 2, 4] } }); // [B, R, C, P, P]
    const rows = g.op('Reshape', [ordered, g.longs([-1, p * p])]);
    const count = (pixels: string) => g.op('Shape', [pixels], { start: { int: 0 }, end: { int: 1 } });
    return {
      rows,
      rowPixels,
      colPixels,
      batch,
      gridRows: count(rowPixels),
      gridCols: count(colPixels),
      height,
      width,
    };
  });
}
