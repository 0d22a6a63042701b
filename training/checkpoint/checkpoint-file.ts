/**
 * Checkpoint files: a JSON header (any JSON state plus a table of named float32 arrays) followed by
 * the arrays' raw little-endian bytes and a SHA-256 of everything before it. Written atomically
 * (temp file, fsync, rename), so a kill during a save leaves the previous checkpoint intact; the
 * checksum makes any later damage (a truncated file, a flipped bit) an error on loading instead of a
 * silently different run.
 *
 * Layout: "ESCKPT02" | u32 header length | header JSON (UTF-8) | padding to 4 bytes | array data |
 * SHA-256 of all the bytes before it (32 bytes).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { tellSupervisor } from '@entropy-sc/core/fs/supervisor-channel';

const MAGIC = 'ESCKPT02';
/** Magic numbers of earlier formats, which this version refuses. */
const OLDER = ['ESCKPT01'];
const DIGEST_BYTES = 32;

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
  const header = new TextEncoder().encode(
    JSON.stringify({ state: checkpoint.state, arrays: table } satisfies Header<S>),
  );
  const start = Math.ceil((MAGIC.length + 4 + header.length) / 4) * 4;
  const end = start + offset * 4;
  const bytes = new Uint8Array(end + DIGEST_BYTES);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length, true);
  bytes.set(header, MAGIC.length + 4);
  const data = new Float32Array(bytes.buffer, start, offset);
  for (const entry of table) data.set(checkpoint.arrays[entry.name]!, entry.offset);
  bytes.set(digest(bytes.subarray(0, end)), end);
  await writeFileAtomic(path, bytes);
  tellSupervisor({ kind: 'checkpoint', path });
}

export async function loadCheckpoint<S>(path: string): Promise<Checkpoint<S>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError(`${path}: no checkpoint to resume from`);
  }
  const magic = bytes.subarray(0, MAGIC.length).toString('latin1');
  if (OLDER.includes(magic))
    throw new UserError(
      `${path}: a checkpoint of an older entropy-sc (format ${magic}, without a checksum), which this version cannot resume; start a new run in another --out`,
    );
  if (magic !== MAGIC) throw new UserError(`${path}: not an entropy-sc checkpoint`);
  const damaged = (what: string) =>
    new UserError(
      `${path}: the checkpoint is damaged (${what}); it cannot be resumed: start a new run in another --out`,
    );
  const end = bytes.length - DIGEST_BYTES;
  if (end < MAGIC.length + 4) throw damaged(`only ${bytes.length} bytes`);
  if (!digest(bytes.subarray(0, end)).equals(bytes.subarray(end)))
    throw damaged('its SHA-256 checksum does not match: the file was truncated or changed after it was written');
  // The checksum held, so the rest is what saveCheckpoint wrote.
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const header = JSON.parse(
    bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength).toString('utf8'),
  ) as Header<S>;
  const start = Math.ceil((MAGIC.length + 4 + headerLength) / 4) * 4;
  const copy = new Uint8Array(bytes.subarray(start, end)); // aligned copy for the Float32Array views
  const arrays: Record<string, Float32Array> = {};
  for (const { name, offset, length } of header.arrays)
    arrays[name] = new Float32Array(copy.buffer, offset * 4, length);
  return { state: header.state, arrays };
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}
