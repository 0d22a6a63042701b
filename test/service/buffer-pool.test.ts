/** BufferPool: buffers given back are taken again by requests of their size class, within its bounds. */
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../service/buffer-pool.ts';

describe('BufferPool', () => {
  it('gives a kept buffer to the next request of its power-of-two size, and a new one otherwise', () => {
    const pool = new BufferPool(1 << 20, 1 << 16);
    const a = pool.take(5000);
    expect(a.byteLength).toBe(8192);
    pool.give(a);
    expect(pool.take(4097)).toBe(a);
    expect(pool.take(4097)).not.toBe(a);
    expect(pool.take(10).byteLength).toBe(4096);
    // Above `largest`: the exact size, never kept.
    const big = pool.take(100_000);
    expect(big.byteLength).toBe(100_000);
    pool.give(big);
    expect(pool.take(100_000)).not.toBe(big);
  });

  it('keeps no more than maxBytes, and nothing that is not its own size class or was moved away', () => {
    const pool = new BufferPool(16384, 1 << 16);
    const kept = [pool.take(8192), pool.take(8192), pool.take(8192)];
    for (const b of kept) pool.give(b);
    expect(pool.take(8192)).toBe(kept[1]);
    expect(pool.take(8192)).toBe(kept[0]);
    expect(pool.take(8192)).not.toBe(kept[2]);
    const odd = new ArrayBuffer(5000);
    pool.give(odd);
    expect(pool.take(5000)).not.toBe(odd);
    const moved = pool.take(4096);
    structuredClone(moved, { transfer: [moved] });
    pool.give(moved);
    expect(pool.take(4096).byteLength).toBe(4096);
  });
});
