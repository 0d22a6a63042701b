/**
 * Outputs as response bodies, produced as the client reads them: JSON (nested arrays in the
 * tensor's shape, streamed row by row), one .npy, or an .npz (an uncompressed zip of .npy files, as
 * numpy.savez writes: `np.load` reads it) for several; the binary ones are views over the outputs.
 */
import { Readable } from 'node:stream';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { zipSync } from 'fflate';
import type { Outputs, Tensor } from './model-info.ts';
import { zipLength, zipStream } from './npz-stream.ts';
import { jsonStream, jsonText, SMALL_VALUES, valueCount, type JsonPart } from './streamed-json.ts';

export const NPY_TYPE = 'application/x-npy';
export const NPZ_TYPE = 'application/x-npz';

/** A response body: its type, the stream, and its length when known up front. */
export interface Answer {
  type: string;
  body: Readable | Buffer | string;
  length?: number;
}

/** Binary answers up to this size are sent as one buffer (one write; a copy of this size costs microseconds). */
export const SMALL_BYTES = 1 << 20;

/** `{"mean": [[...], ...], "elbo": [...], ...}` */
export function outputsJson(outputs: Outputs): Answer {
  const parts: JsonPart[] = ['{'];
  Object.entries(outputs).forEach(([name, tensor], i) => {
    parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(name)}:`, { data: tensor.data, shape: tensor.shape, flat: false });
  });
  parts.push('}');
  const small = valueCount(parts) <= SMALL_VALUES;
  return { type: 'application/json; charset=utf-8', body: small ? jsonText(parts) : jsonStream(parts) };
}

/** An .npy file's bytes as [header, view of the data]. */
export function npyParts(tensor: Tensor): Uint8Array[] {
  const { data } = tensor;
  return [
    formatNpyHeader({ dtype: 'float32', shape: tensor.shape }),
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  ];
}

/** One output as .npy, several as .npz with members `<name>.npy`. */
export function outputsNpy(outputs: Outputs): Answer {
  const entries = Object.entries(outputs);
  if (entries.length === 1) {
    const parts = npyParts(entries[0]![1]);
    const length = parts.reduce((sum, p) => sum + p.length, 0);
    const body = length <= SMALL_BYTES ? Buffer.concat(parts) : Readable.from(parts, { objectMode: false });
    return { type: NPY_TYPE, body, length };
  }
  const members = entries.map(([name, tensor]) => ({ name: `${name}.npy`, parts: npyParts(tensor) }));
  const length = zipLength(members);
  if (length > SMALL_BYTES) return { type: NPZ_TYPE, body: zipStream(members), length };
  const zip = zipSync(Object.fromEntries(members.map((m) => [m.name, Buffer.concat(m.parts)])), { level: 0 });
  return { type: NPZ_TYPE, body: Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), length };
}
