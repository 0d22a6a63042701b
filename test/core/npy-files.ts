/** Helpers for the .npy tests: a scratch folder and .npy files assembled byte by byte. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratchDir(): {
  dir: string;
  path: (name: string) => string;
  files: () => string[];
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-npy-'));
  return {
    dir,
    path: (name) => join(dir, name),
    files: () => readdirSync(dir).sort(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** "\x93NUMPY", version, little-endian header length (2 bytes for 1.0, 4 otherwise), header text. */
export function npyBytes(
  headerText: string,
  data: Uint8Array = new Uint8Array(),
  version: [number, number] = [1, 0],
): Uint8Array {
  const text = version[0] === 3 ? Buffer.from(headerText, 'utf8') : Buffer.from(headerText, 'latin1');
  const lengthBytes = version[0] === 1 ? 2 : 4;
  const prefix = Buffer.alloc(8 + lengthBytes);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = version[0];
  prefix[7] = version[1];
  if (lengthBytes === 2) prefix.writeUInt16LE(text.length, 8);
  else prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, data]);
}

export function writeNpyBytes(path: string, headerText: string, data?: Uint8Array, version?: [number, number]): void {
  writeFileSync(path, npyBytes(headerText, data, version));
}

export function littleEndianBytes(values: Float32Array | Float64Array): Uint8Array {
  const size = values.BYTES_PER_ELEMENT;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => (size === 4 ? view.setFloat32(i * 4, v, true) : view.setFloat64(i * 8, v, true)));
  return out;
}
