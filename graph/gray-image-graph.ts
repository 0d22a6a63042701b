/**
 * Image model, first step: uint8 pixels [batch, height, width, channels] → gray [batch, height,
 * width] in float64 on [0, 1], as the image decoders of core make it (image-file.ts): 1 channel is
 * the value itself, 3 channels are luminance 0.299 R + 0.587 G + 0.114 B, clamped at 1.
 */
import { ElementType, type GraphBuilder } from './graph-builder.ts';

/**
 * @param image uint8 [B, H, W, C]
 * @returns gray, float64 [B, H, W]
 */
export function grayNodes(g: GraphBuilder, image: string): string {
  const pixels = g.op('Cast', [image], { to: { int: ElementType.DOUBLE } });
  // The weights are [1] for C = 1 and [0.299, 0.587, 0.114] for C = 3: a slice of one table from
  // (C−1)/2, reshaped to [1 + 2·⌊(C−1)/2⌋, 1]. Any other C fails in onnxruntime (the reshape or the
  // MatMul's inner dimension), so a 2- or 4-channel image is refused rather than misread.
  const channels = g.op('Shape', [image], { start: { int: 3 } });
  const start = g.op('Div', [g.op('Sub', [channels, g.longs([1])]), g.longs([2])]);
  const table = g.double([1, 0.299, 0.587, 0.114]);
  const weights = g.op('Slice', [table, start, g.op('Add', [start, channels]), g.longs([0])]);
  const rows = g.op('Add', [g.op('Mul', [start, g.longs([2])]), g.longs([1])]);
  const column = g.op('Reshape', [weights, g.op('Concat', [rows, g.longs([1])], { axis: { int: 0 } })]);
  const luminance = g.op('Squeeze', [g.op('MatMul', [pixels, column]), g.longs([3])]);
  return g.op('Min', [g.op('Mul', [luminance, g.double([1 / 255], [])]), g.double([1], [])]);
}
