/** Which outputs a request asks for (`?outputs=`, a body's "outputs", OIP's outputs list). */
import { UserError } from '@entropy-sc/core/errors';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelInfo } from './model-info.ts';

/**
 * @param value "mean,variance", ["mean", "variance"], or undefined for all the model offers
 * @param where where the list came from, for messages (e.g. "?outputs")
 */
export function selectOutputs(value: unknown, info: ModelInfo, where: string): OutputName[] {
  if (value === undefined) return [...info.outputs];
  const names = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string'))
    throw new UserError(`${where}: expected output names as "mean,variance" or ["mean", "variance"]`);
  if (names.length === 0 || names.includes(''))
    throw new UserError(`${where}: the list of outputs is empty or has an empty name`);
  const offered = info.outputs as readonly string[];
  for (const name of names)
    if (!offered.includes(name))
      throw new UserError(
        `${where}: unknown output '${name.slice(0, 64)}' (model '${info.card.name}' offers ${info.outputs.join(', ')})`,
      );
  // In the model's order, each once.
  return info.outputs.filter((name) => names.includes(name));
}
