/**
 * Image model, last step: the image rebuilt from its windows (W̃·ν per window), each pixel the mean
 * of the windows that cover it. The sums are two products with 0/1 placement matrices,
 * Aᵀ · X · B with A [R·P, H] and B [C·P, W] (A[(i, a), y] = 1 where window row i's pixel a is y), and
 * the counts are their outer column sums; every pixel is covered, as the last window is flush.
 */
import { ElementType, type GraphBuilder } from './graph-builder.ts';
import type { WindowGrid } from './window-grid-graph.ts';

const FLOAT = { int: ElementType.FLOAT };

/** [windows · P, n] with 1 where a window's pixel is at position y of the axis. */
function placement(g: GraphBuilder, pixels: string, n: string): string {
  const positions = g.op('Range', [g.longs([0], []), g.op('Squeeze', [n, g.longs([0])]), g.longs([1], [])]);
  const flat = g.op('Reshape', [pixels, g.longs([-1, 1])]);
  return g.op('Cast', [g.op('Equal', [flat, g.op('Unsqueeze', [positions, g.longs([0])])])], { to: FLOAT });
}

/**
 * @param windows float32 [B·R·C, P·P] in the grid's order
 * @returns float32 [B, H, W]
 */
export function overlapAverageNodes(g: GraphBuilder, windows: string, grid: WindowGrid, p: number): string {
  return g.scope('reconstruction_average', () => {
    const rows = placement(g, grid.rowPixels, grid.height); // [R·P, H]
    const cols = placement(g, grid.colPixels, grid.width); // [C·P, W]
    const concat = (parts: string[]) => g.op('Concat', parts, { axis: { int: 0 } });
    const p1 = g.longs([p]);
    const grid5 = g.op('Reshape', [windows, concat([grid.batch, grid.gridRows, grid.gridCols, p1, p1])]);
    const byRows = g.op('Transpose', [grid5], { perm: { ints: [0, 1, 3, 2, 4] } }); // [B, R, P, C, P]
    const x = g.op('Reshape', [byRows, concat([grid.batch, g.longs([-1]), g.op('Mul', [grid.gridCols, p1])])]);
    const sums = g.op('MatMul', [g.op('Transpose', [rows], { perm: { ints: [1, 0] } }), g.op('MatMul', [x, cols])]);
    const rowCounts = g.op('Unsqueeze', [
      g.op('ReduceSum', [rows, g.longs([0])], { keepdims: { int: 0 } }),
      g.longs([1]),
    ]);
    const colCounts = g.op('ReduceSum', [cols, g.longs([0])], { keepdims: { int: 1 } });
    return g.op('Div', [sums, g.op('Mul', [rowCounts, colCounts])]);
  });
}
