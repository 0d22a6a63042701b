/**
 * Outputs as response bodies: JSON (nested arrays in the tensor's shape), one .npy, or an .npz
 * (an uncompressed zip of .npy files, as numpy.savez writes: `np.load` reads it) for several.
 */
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { zipSync } from 'fflate';
import type { Outputs, Tensor } from './model-info.ts';

export const NPY_TYPE = 'application/x-npy';
export const NPZ_TYPE = 'application/x-npz';

/** `{"mean": [[...], ...], "elbo": [...], ...}` */
export function outputsJson(outputs: Outputs): string {
  const body: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(outputs)) body[name] = nested(tensor.data, tensor.shape);
  return JSON.stringify(body);
}

/** The flat row-major data as nested arrays of `shape` (a 1-d shape stays flat). */
export function nested(data: Float32Array, shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return Array.from(data);
  const inner = shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nested(data.subarray(i * size, (i + 1) * size), inner));
}

export function npyBytes(tensor: Tensor): Buffer {
  const header = formatNpyHeader({ dtype: 'float32', shape: tensor.shape });
  const { data } = tensor;
  return Buffer.concat([header, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
}

/** One output as .npy, several as .npz with members `<name>.npy`. */
export function outputsNpy(outputs: Outputs): { type: string; body: Buffer } {
  const entries = Object.entries(outputs);
  if (entries.length === 1) return { type: NPY_TYPE, body: npyBytes(entries[0]![1]) };
  const members = Object.fromEntries(entries.map(([name, tensor]) => [`${name}.npy`, npyBytes(tensor)]));
  const zip = zipSync(members, { level: 0 });
  return { type: NPZ_TYPE, body: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength) };
}
