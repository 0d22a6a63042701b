/**
 * Buffers the service uses again instead of allocating one per request: request bodies, batches'
 * rows and binary answers. V8 collects garbage after every 64 MiB of new ArrayBuffers, whatever
 * their lifetime, and a mark-compact of the service's heap takes tens of milliseconds: at 16 × 256
 * rows one came every ~300 ms. Sizes are rounded up to powers of two so that a buffer given back
 * fits the next request of about its size. Bounded: at most `maxBytes` kept, none above `largest`.
 */
export class BufferPool {
  /** spare buffers by size (a power of two) */
  private readonly spares = new Map<number, ArrayBuffer[]>();
  private kept = 0;

  constructor(
    readonly maxBytes = 32 << 20,
    readonly largest = 4 << 20,
  ) {}

  /** A buffer of at least `bytes`: a spare where one of its size class is kept, or a new one. */
  take(bytes: number): ArrayBuffer {
    const size = sizeClass(bytes);
    if (size > this.largest) return new ArrayBuffer(bytes);
    const spare = this.spares.get(size)?.pop();
    if (!spare) return new ArrayBuffer(size);
    this.kept -= size;
    return spare;
  }

  /**
   * Keeps a buffer for the next take(): only give what nothing else refers to any more (a buffer
   * moved to another thread reads as empty and is not kept).
   */
  give(buffer: ArrayBuffer): void {
    const size = buffer.byteLength;
    if (size === 0 || size > this.largest || size !== sizeClass(size) || this.kept + size > this.maxBytes) return;
    const list = this.spares.get(size);
    if (list) list.push(buffer);
    else this.spares.set(size, [buffer]);
    this.kept += size;
  }
}

/** The power of two at or above `bytes` (4 KiB at least). */
function sizeClass(bytes: number): number {
  return Math.max(4096, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
}
