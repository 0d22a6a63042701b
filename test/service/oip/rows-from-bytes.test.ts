/** rowsFromBytes: a request's own aligned bytes become its rows as they are; any other bytes are copied. */
import { describe, expect, it } from 'vitest';
import { rowsFromBytes } from '../../../service/oip/infer-request.ts';

const shape = { rows: 2, d: 3, count: 6 };
const values = [1.5, -2, 3.25, 0, 7, -0.5];

function bytesAt(offset: number): Uint8Array {
  const buffer = new ArrayBuffer(offset + 24 + 5);
  const bytes = new Uint8Array(buffer, offset, 24);
  bytes.set(new Uint8Array(Float32Array.from(values).buffer));
  return bytes;
}

describe('rowsFromBytes', () => {
  it("takes a request's own 4-byte aligned bytes as its rows, without a copy", () => {
    const bytes = bytesAt(8);
    const { x, rows } = rowsFromBytes(bytes, shape, 'x', 'the data', true);
    expect(rows).toBe(2);
    expect(Array.from(x)).toEqual(values);
    expect(x.buffer).toBe(bytes.buffer);
    expect(x.byteOffset).toBe(8);
  });

  it('copies bytes that are not aligned, or not the request’s own', () => {
    for (const [offset, owned] of [
      [5, true],
      [8, false],
    ] as const) {
      const bytes = bytesAt(offset);
      const { x } = rowsFromBytes(bytes, shape, 'x', 'the data', owned);
      expect(Array.from(x)).toEqual(values);
      expect(x.buffer).not.toBe(bytes.buffer);
    }
  });

  it('refuses a byte count that is not the shape’s, and non-finite values, naming them', () => {
    expect(() => rowsFromBytes(bytesAt(0).subarray(4), shape, "input 'x'", 'the data', true)).toThrow(
      "input 'x': the data has 20 bytes, shape [2, 3] of FP32 needs 24",
    );
    const bytes = bytesAt(4);
    new Float32Array(bytes.buffer, 4, 6)[4] = NaN;
    expect(() => rowsFromBytes(bytes, shape, "input 'x'", 'the data', true)).toThrow(/input 'x'/);
  });
});
