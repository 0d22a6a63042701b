/** A minimal PNG encoder for tests, independent of pngjs: any colour type and bit depth, no filtering. */
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

const channels: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * @param samples channel values row-major [height * width * channels], integers below 2^bitDepth
 *   (palette indices for colour type 3)
 * @param palette RGB entries for colour type 3
 */
export function encodePng(
  width: number,
  height: number,
  colorType: 0 | 2 | 3 | 4 | 6,
  bitDepth: 1 | 2 | 4 | 8 | 16,
  samples: ArrayLike<number>,
  palette?: [number, number, number][],
): Buffer {
  const perPixel = channels[colorType]!;
  const rowBytes = Math.ceil((width * perPixel * bitDepth) / 8);
  const raw = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1; // filter byte 0 (None) precedes each row
    for (let t = 0; t < width * perPixel; t++) {
      const value = samples[y * width * perPixel + t]!;
      if (bitDepth === 16) raw.writeUInt16BE(value, row + 2 * t);
      else if (bitDepth === 8) raw[row + t] = value;
      else {
        const bit = t * bitDepth;
        raw[row + (bit >> 3)]! |= value << (8 - bitDepth - (bit & 7));
      }
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colorType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header)];
  if (palette) parts.push(chunk('PLTE', Uint8Array.from(palette.flat())));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
