/**
 * Checkpoint files: a JSON header (any JSON state plus a table of named float32 arrays) followed by
 * the arrays' raw little-endian bytes. Written atomically (temp file, fsync, rename), so a kill
 * during a save leaves the previous checkpoint intact.
 *
 * Layout: "ESCKPT01" | u32 header length | header JSON (UTF-8) | padding to 4 bytes | array data.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';

const MAGIC = 'ESCKPT01';

export interface Checkpoint<S> {
  state: S;
  arrays: Record<string, Float32Array>;
}

interface Header<S> {
  state: S;
  arrays: Array<{ name: string; offset: number; length: number }>;
}

export async function saveCheckpoint<S>(path: string, checkpoint: Checkpoint<S>): Promise<void> {
  let offset = 0;
  const table = Object.entries(checkpoint.arrays).map(([name, data]) => {
    const entry = { name, offset, length: data.length };
    offset += data.length;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ state: checkpoint.state, arrays: table } satisfies Header<S>));
  const start = Math.ceil((MAGIC.length + 4 + header.length) / 4) * 4;
  const bytes = new Uint8Array(start + offset * 4);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length, true);
  bytes.set(header, MAGIC.length + 4);
  const data = new Float32Array(bytes.buffer, start, offset);
  for (const entry of table) data.set(checkpoint.arrays[entry.name]!, entry.offset);
  await writeFileAtomic(path, bytes);
}

export async function loadCheckpoint<S>(path: string): Promise<Checkpoint<S>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError(`${path}: no checkpoint to resume from`);
  }
  if (bytes.length < MAGIC.length + 4 || bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC)
    throw new UserError(`${path}: not an entropy-sc checkpoint`);
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const header = JSON.parse(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength).toString('utf8')) as Header<S>;
  const start = Math.ceil((MAGIC.length + 4 + headerLength) / 4) * 4;
  const copy = new Uint8Array(bytes.subarray(start)); // aligned copy for the Float32Array views
  const arrays: Record<string, Float32Array> = {};
  for (const { name, offset, length } of header.arrays) {
    if ((offset + length) * 4 > copy.length) throw new UserError(`${path}: checkpoint is truncated`);
    arrays[name] = new Float32Array(copy.buffer, offset * 4, length);
  }
  return { state: header.state, arrays };
}
