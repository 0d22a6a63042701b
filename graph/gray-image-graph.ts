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
  return g.scope('gray', () => {
    const pixels = g.op('Cast', [image], { to: { int: ElementType.DOUBLE } });
    // The weights are table[0] = 1 for C = 1 and table[1..3] = (0.299, 0.587, 0.114) for C = 3,
    // gathered from offset 0 or 1. Any other C gathers from offset 100, out of the table, so that
    // onnxruntime refuses a 2- or 4-channel image rather than misreading it.
    const channels = g.op('Shape', [image], { start: { int: 3 } });
    const is = (c: number) =>
      g.op('Cast', [g.op('Equal', [channels, g.longs([c])])], { to: { int: ElementType.INT64 } });
    const [one, three] = [is(1), is(3)];
    const neither = g.op('Sub', [g.op('Sub', [g.longs([1]), one]), three]);
    const offset = g.op('Add', [three, g.op('Mul', [neither, g.longs([100])])]);
    const count = g.op('Squeeze', [channels, g.longs([0])]);
    const indices = g.op('Add', [g.op('Range', [g.longs([0], []), count, g.longs([1], [])]), offset]);
    const weights = g.op('Gather', [g.double([1, 0.299, 0.587, 0.114]), indices]);
    const column = g.op('Unsqueeze', [weights, g.longs([1])]);
    const luminance = g.op('Squeeze', [g.op('MatMul', [pixels, column]), g.longs([3])]);
    return g.op('Min', [g.op('Mul', [luminance, g.double([1 / 255], [])]), g.double([1], [])]);
  });
}
