/** readBody: the bytes as sent, in a buffer of the request's own, float32 data 4-byte aligned in memory. */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../service/body-reader.ts';

const body = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 31) % 251));
const chunks = () => Readable.from([body.subarray(0, 3), body.subarray(3, 40_000), body.subarray(40_000)]);

describe('readBody', () => {
  for (const announced of [true, false])
    it(`places the byte at alignAt on a 4-byte boundary (${announced ? 'Content-Length' : 'length not announced'})`, async () => {
      for (const alignAt of [0, 1, 2, 3, 117]) {
        const headers = announced ? { 'content-length': String(body.length) } : {};
        const read = await readBody(chunks(), headers, 1 << 20, alignAt);
        expect(read.equals(body), `alignAt ${alignAt}`).toBe(true);
        expect((read.byteOffset + alignAt) % 4, `alignAt ${alignAt}`).toBe(0);
        // Its own buffer: nothing but the padding before it.
        expect(read.byteOffset).toBeLessThan(4);
      }
    });
});
