/**
 * The warm-up's outputs checked against the shapes the model declares (a graph that computes
 * something else than its card describes, e.g. an Identity with a copied card, is refused). The
 * graph's declared input and outputs are checked against the card by the inference package as it
 * loads the model, before any session exists.
 */
import { UserError } from '@entropy-sc/core/errors';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { Outputs } from './model-info.ts';

const show = (dims: readonly number[]) => `[${dims.join(', ')}]`;

/** The warm-up's outputs (one row) against the declared shapes. */
export function checkWarmUp(outputs: Outputs, rowShapes: Partial<Record<OutputName, number[]>>, path: string): void {
  for (const [name, tensor] of Object.entries(outputs) as [OutputName, Outputs[OutputName]][]) {
    const expected = [1, ...(rowShapes[name] ?? [])];
    if (!tensor || !matches(tensor.shape, expected) || tensor.data.length !== expected.reduce((a, b) => a * b, 1))
      throw new UserError(
        `${path}: for one row the graph's output '${name}' is ${show(tensor?.shape ?? [])}, not ${show(expected)}: the graph does not compute what its card describes`,
      );
  }
}

function matches(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((a, i) => a === expected[i]);
}
