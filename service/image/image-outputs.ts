/**
 * Which outputs an image request may ask for: the model's outputs and `whitened` (the image as the
 * model saw it), in the contract's order; the encoder computes all but `whitened`.
 */
import { UserError } from '@entropy-sc/core/errors';
import { OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelInfo } from '../model-info.ts';

export function imageOutputNames(info: ModelInfo): OutputName[] {
  return OUTPUT_NAMES.filter((name) => name === 'whitened' || info.outputs.includes(name));
}

/** `?outputs=a,b` (default: all), checked; in the contract's order. */
export function selectImageOutputs(value: unknown, info: ModelInfo): OutputName[] {
  const offered = imageOutputNames(info);
  if (value === undefined) return offered;
  if (typeof value !== 'string') throw new UserError('?outputs: give it once, as "mean,elbo"');
  const names = value.split(',').map((s) => s.trim());
  if (names.includes('')) throw new UserError('?outputs: the list of outputs is empty or has an empty name');
  for (const name of names)
    if (!(offered as readonly string[]).includes(name))
      throw new UserError(
        `?outputs: unknown output '${name.slice(0, 64)}' (model '${info.card.name}' offers ${offered.join(', ')} for images)`,
      );
  return offered.filter((name) => names.includes(name));
}
