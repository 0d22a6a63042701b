/**
 * An .npz answer (an uncompressed zip of .npy members, as numpy.savez writes) produced as views over
 * the output buffers: only the small headers are new bytes. Each member's CRC-32 is computed in
 * slices between which the event loop runs.
 */
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

export interface ZipMember {
  name: string;
  /** the member's bytes, in order (views) */
  parts: readonly Uint8Array[];
}

const CRC_SLICE = 4 << 20;
const DOS_DATE_1980 = 0x21;

/** The zip's total length in bytes (for Content-Length). */
export function zipLength(members: readonly ZipMember[]): number {
  let length = 22;
  for (const m of members) length += 30 + 46 + 2 * Buffer.byteLength(m.name) + size(m);
  return length;
}

/** The zip as a stream, produced as the client reads it. */
export function zipStream(members: readonly ZipMember[]): Readable {
  return Readable.from(zipChunks(members), { objectMode: false, highWaterMark: 1 << 16 });
}

async function* zipChunks(members: readonly ZipMember[]): AsyncGenerator<Uint8Array> {
  const central: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const bytes = size(member);
    if (bytes > 0xffffffff) throw new Error(`${member.name} is larger than a zip without ZIP64 holds`);
    let crc = 0;
    for (const part of member.parts)
      for (let start = 0; start < part.length; start += CRC_SLICE) {
        crc = crc32(part.subarray(start, start + CRC_SLICE), crc);
        await new Promise((resolve) => setImmediate(resolve));
      }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(DOS_DATE_1980, 12);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(bytes, 18);
    local.writeUInt32LE(bytes, 22);
    local.writeUInt16LE(name.length, 26);
    yield Buffer.concat([local, name]);
    for (const part of member.parts) yield part;
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(DOS_DATE_1980, 14);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(bytes, 20);
    entry.writeUInt32LE(bytes, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += 30 + name.length + bytes;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  yield Buffer.concat([directory, end]);
}

function size(member: ZipMember): number {
  return member.parts.reduce((sum, part) => sum + part.length, 0);
}
