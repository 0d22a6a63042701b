/**
 * An exported model checked against its own card before the service warms it up: the graph's input
 * width must be the card's D (a forged card claiming a huge D would make the warm-up allocate until
 * the machine runs out of memory), each output's declared shape per row must be what the card
 * implies, and the warm-up's outputs must have those shapes (a graph that computes something else,
 * e.g. an Identity with a copied card, is refused).
 */
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { INPUT_NAME, isOutputName, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelProto } from '@entropy-sc/inference/card';
import type { Outputs } from './model-info.ts';

/** Each output's shape per row as the card implies it; null: any positive size there (the low-rank factor's rank). */
function expectedRowShape(name: OutputName, card: ModelCard): (number | null)[] {
  switch (name) {
    case 'elbo':
      return [];
    case 'reconstruction':
      return [card.d];
    case 'covariance':
      return [card.h, card.h];
    case 'cov_factor':
      return [card.h, card.rank ?? null];
    default:
      return [card.h];
  }
}

const show = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;

/** The graph's declared input and outputs against the card. */
export function checkGraphAgainstCard(model: ModelProto, card: ModelCard, path: string): void {
  const input = (model.graph?.input ?? []).find((i) => i.name === INPUT_NAME);
  const dims = input?.type?.tensorType?.shape?.dim ?? [];
  const width = dims.length === 2 && dims[1]!.dimValue != null ? Number(dims[1]!.dimValue) : NaN;
  if (width !== card.d)
    throw new UserError(
      `${path}: the graph's input '${INPUT_NAME}' is ${show(dims.map((d) => (d.dimValue != null ? Number(d.dimValue) : null)))} but its card says D=${card.d}`,
    );
  for (const output of model.graph?.output ?? []) {
    const name = output.name ?? '';
    if (!isOutputName(name)) continue;
    const declared = (output.type?.tensorType?.shape?.dim ?? [])
      .slice(1)
      .map((d) => (d.dimValue != null ? Number(d.dimValue) : null));
    const expected = expectedRowShape(name, card);
    if (!matches(declared, expected))
      throw new UserError(
        `${path}: output '${name}' is ${show(declared)} per row but its card (D=${card.d}, H=${card.h}) implies ${show(expected)}`,
      );
  }
}

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

function matches(actual: readonly (number | null)[], expected: readonly (number | null)[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((a, i) => a !== null && a > 0 && (expected[i] === null || a === expected[i]))
  );
}
