/**
 * An image's outputs in the image model's shapes (cli.md `export --image`) without the batch axis:
 * per window [rows, cols, …] (mean, variance, elbo, the covariance parts), per pixel [height, width]
 * (reconstruction: the windows' W̃·mean averaged where they overlap; whitened: the image as the
 * model saw it).
 */
import { UserError } from '@entropy-sc/core/errors';
import { OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { overlapAverage } from '@entropy-sc/inference/overlap-average';
import type { ModelInfo, Outputs, Tensor } from '../model-info.ts';
import type { PreparedImage } from './prep-protocol.ts';

export const WHITENED = 'whitened';

/** What an image request may ask for: the model's outputs and `whitened`, after `reconstruction`. */
export function imageOutputNames(info: ModelInfo): string[] {
  const names: string[] = [...info.outputs];
  names.splice(names.includes('reconstruction') ? names.indexOf('reconstruction') + 1 : names.length, 0, WHITENED);
  return names;
}

/** `?outputs=a,b` (default: all), checked; in the offered order. */
export function selectImageOutputs(value: unknown, info: ModelInfo): string[] {
  const offered = imageOutputNames(info);
  if (value === undefined) return offered;
  if (typeof value !== 'string') throw new UserError('?outputs: give it once, as "mean,elbo"');
  const names = value.split(',').map((s) => s.trim());
  if (names.includes('')) throw new UserError('?outputs: the list of outputs is empty or has an empty name');
  for (const name of names)
    if (!offered.includes(name))
      throw new UserError(
        `?outputs: unknown output '${name.slice(0, 64)}' (model '${info.card.name}' offers ${offered.join(', ')} for images)`,
      );
  return offered.filter((name) => names.includes(name));
}

/** The encoder outputs (per window) that `names` need. */
export function encoderOutputs(names: readonly string[]): OutputName[] {
  return OUTPUT_NAMES.filter((name) => names.includes(name));
}

/**
 * @param windows the encoder's outputs for the image's windows, each [windows, …]
 * @param p the window side
 */
export function imageOutputs(
  names: readonly string[],
  image: PreparedImage,
  windows: Outputs,
  p: number,
): Record<string, Tensor> {
  const rows = image.tops.length;
  const cols = image.lefts.length;
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    if (name === WHITENED) out[name] = { data: image.pixels, shape: [image.height, image.width] };
    else if (name === 'reconstruction')
      out[name] = {
        data: Float32Array.from(overlapAverage(image, windows.reconstruction!.data, p)),
        shape: [image.height, image.width],
      };
    else {
      const tensor = windows[name as OutputName]!;
      out[name] = { data: tensor.data, shape: [rows, cols, ...tensor.shape.slice(1)] };
    }
  }
  return out;
}
