/**
 * Writing .npy files (format 1.0 as NumPy writes it, C order, little-endian float32 or float64),
 * whole or streamed in chunks of rows. Writes are atomic: the bytes go to a temporary file next to
 * the target, which is flushed and renamed over the target on close, so a crash never leaves a
 * half-written target (only, at worst, a stray `*.tmp-<pid>-<hex>` file).
 */
import type { FileHandle } from 'node:fs/promises';
import { discardTempFile, openTempFile, placeTempFile } from '../fs/temp-file.ts';
import { elementCount, rowCount, rowSize, shapeText, type FloatArray } from '../ndarray.ts';
import { formatNpyHeader, type NpyDtype } from './header.ts';

export interface NpyWriterOptions {
  /** dtype in the file; data of the other precision is converted (default float32, cli.md) */
  dtype?: NpyDtype;
  /** the full shape, first axis included; rows are written along the first axis */
  shape: readonly number[];
}

/** Elements converted per step, bounding the extra memory a float64 ↔ float32 conversion takes. */
const CONVERT_ELEMENTS = 1 << 20;

/**
 * A streamed .npy writer: `write` whole rows in order, then `close` (or `abort`). The number of rows
 * is fixed up front by the shape; closing with fewer rows written is an error.
 */
export class NpyWriter {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  private rows = 0;
  /** Writes run one after another even when the caller does not await each; never rejects. */
  private tail: Promise<void> = Promise.resolve();
  /** The first failed write's error; the temporary file is gone by then. */
  private failure: { error: unknown } | null = null;
  private finished = false;

  private constructor(
    readonly path: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
    options: Required<NpyWriterOptions>,
  ) {
    this.dtype = options.dtype;
    this.shape = [...options.shape];
  }

  /** Creates the temporary file and writes the header. */
  static async create(path: string, options: NpyWriterOptions): Promise<NpyWriter> {
    const dtype = options.dtype ?? 'float32';
    const shape = options.shape;
    if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0))
      throw new RangeError(`${path}: shape must be non-negative integers, got ${shapeText(shape)}`);
    const { temp, handle } = await openTempFile(path);
    const writer = new NpyWriter(path, temp, handle, { dtype, shape });
    await writer.enqueue(() => writeAll(handle, formatNpyHeader({ dtype, shape })));
    return writer;
  }

  /** Rows accepted so far. */
  get rowsWritten(): number {
    return this.rows;
  }

  /**
   * Appends whole rows. The chunk must stay unchanged until the returned promise settles.
   * @param chunk rows [k, ...shape[1:]] in C order, converted to the file's dtype
   */
  write(chunk: FloatArray | readonly number[]): Promise<void> {
    if (this.finished) throw new Error(`${this.path}: write after close or abort`);
    const perRow = rowSize(this.shape);
    const declared = rowCount(this.shape);
    if (perRow === 0 ? chunk.length !== 0 : chunk.length % perRow !== 0)
      throw new RangeError(`${this.path}: chunk of ${chunk.length} values is not whole rows of ${perRow}`);
    const rows = perRow === 0 ? 0 : chunk.length / perRow;
    if (this.rows + rows > declared)
      throw new RangeError(
        `${this.path}: ${this.rows + rows} rows written but the shape ${shapeText(this.shape)} has ${declared}`,
      );
    this.rows += rows;
    return this.enqueue(async () => {
      for (let from = 0; from < chunk.length; from += CONVERT_ELEMENTS) {
        const part = converted(chunk, from, Math.min(chunk.length, from + CONVERT_ELEMENTS), this.dtype);
        await writeAll(this.handle, new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
      }
    });
  }

  /**
   * Checks that every row was written, flushes to disk and renames the file into place. Closing
   * with rows missing discards the file and throws.
   */
  async close(): Promise<void> {
    if (this.finished) throw new Error(`${this.path}: closed twice or after abort`);
    this.finished = true;
    await this.tail;
    if (this.failure) throw this.failure.error;
    const declared = rowSize(this.shape) === 0 ? this.rows : rowCount(this.shape);
    try {
      if (this.rows !== declared)
        throw new Error(
          `${this.path}: closed after ${this.rows} of ${declared} rows of shape ${shapeText(this.shape)}; nothing was written`,
        );
      await this.handle.sync();
      await this.handle.close();
      await placeTempFile(this.temp, this.path);
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  /** Discards the temporary file; the target is left as it was. Does nothing after close. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.tail;
    if (!this.failure) await this.discard();
  }

  private async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await discardTempFile(this.temp);
  }

  /** Runs `step` after the previous writes; the first failure discards the temporary file. */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.tail.then(() => {
      if (this.failure) throw this.failure.error;
      return step();
    });
    this.tail = run.then(
      () => undefined,
      async (error: unknown) => {
        if (this.failure) return;
        this.failure = { error };
        await this.discard();
      },
    );
    // The caller sees the rejection through `run`; unawaited, it resurfaces from close().
    run.catch(() => undefined);
    return run;
  }
}

/** Opens a streamed writer for `path` (see NpyWriter). */
export function createNpyWriter(path: string, options: NpyWriterOptions): Promise<NpyWriter> {
  return NpyWriter.create(path, options);
}

/**
 * Writes a whole array atomically.
 * @param array data in C order, length = product of shape
 * @param options.dtype the file's dtype (default float32, whatever the data's own type)
 */
export async function writeNpy(
  path: string,
  array: { data: FloatArray | readonly number[]; shape: readonly number[] },
  options: { dtype?: NpyDtype } = {},
): Promise<void> {
  if (array.data.length !== elementCount(array.shape))
    throw new RangeError(`${path}: ${array.data.length} values do not fill shape ${shapeText(array.shape)}`);
  const writer = await NpyWriter.create(path, { dtype: options.dtype ?? 'float32', shape: array.shape });
  try {
    await writer.write(array.data);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.close();
}

/** Elements [from, to) of `chunk` as the dtype's typed array (a view when no conversion is needed). */
function converted(chunk: FloatArray | readonly number[], from: number, to: number, dtype: NpyDtype): FloatArray {
  const Target = dtype === 'float32' ? Float32Array : Float64Array;
  if (chunk instanceof Target) return chunk.subarray(from, to);
  const out = new Target(to - from);
  for (let i = from; i < to; i++) out[i - from] = chunk[i]!;
  return out;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}
