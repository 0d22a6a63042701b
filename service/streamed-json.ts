/**
 * JSON text of output tensors produced piece by piece, so that no answer is ever one giant string:
 * a generator of ~64 KiB chunks, pulled by the response stream as the client reads (backpressure).
 * Numbers print as JSON.stringify prints the float32 values (the same text as one stringify call).
 */
import { Readable } from 'node:stream';

/** A tensor written as a JSON array: nested in its shape, or flat (row-major). */
export interface JsonArray {
  data: Float32Array;
  shape: readonly number[];
  flat: boolean;
}

/** Literal JSON text, or an array. */
export type JsonPart = string | JsonArray;

const CHUNK_CHARS = 1 << 16;
/** values per piece of a flat array */
const FLAT_PIECE = 4096;

/**
 * The parts' text in chunks of about 64 KiB. The event loop runs between chunks: a reader that
 * keeps up (a socket whose kernel buffer has room) would otherwise pull the whole answer in one go.
 */
export async function* jsonChunks(parts: readonly JsonPart[]): AsyncGenerator<string> {
  let text = '';
  for (const piece of pieces(parts)) {
    text += piece;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (text !== '') yield text;
}

/** Values up to which an answer is built at once (about a millisecond of work, one write). */
export const SMALL_VALUES = 16384;

/** The values the parts' arrays hold. */
export function valueCount(parts: readonly JsonPart[]): number {
  return parts.reduce((sum, part) => sum + (typeof part === 'string' ? 0 : part.data.length), 0);
}

/** The parts' whole text at once: for answers of at most SMALL_VALUES values. */
export function jsonText(parts: readonly JsonPart[]): string {
  let text = '';
  for (const piece of pieces(parts)) text += piece;
  return text;
}

function* pieces(parts: readonly JsonPart[]): Generator<string> {
  for (const part of parts) {
    if (typeof part === 'string') yield part;
    else yield* arrayPieces(part);
  }
}

/** A byte stream of the parts' text, produced as it is read. */
export function jsonStream(parts: readonly JsonPart[]): Readable {
  return Readable.from(jsonChunks(parts), { objectMode: false, highWaterMark: CHUNK_CHARS });
}

function* arrayPieces({ data, shape, flat }: JsonArray): Generator<string> {
  yield '[';
  if (flat || shape.length <= 1) {
    for (let start = 0; start < data.length; start += FLAT_PIECE) {
      const text = JSON.stringify(Array.from(data.subarray(start, start + FLAT_PIECE)));
      yield (start > 0 ? ',' : '') + text.slice(1, -1);
    }
  } else {
    const inner = shape.slice(1);
    const size = inner.reduce((a, b) => a * b, 1);
    for (let i = 0; i < shape[0]!; i++)
      yield (i > 0 ? ',' : '') + JSON.stringify(nested(data.subarray(i * size, (i + 1) * size), inner));
  }
  yield ']';
}

/** One row's flat data as nested arrays of `shape` (a 1-d shape stays flat). */
function nested(data: Float32Array, shape: readonly number[]): unknown[] {
  if (shape.length <= 1) return Array.from(data);
  const inner = shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nested(data.subarray(i * size, (i + 1) * size), inner));
}

/** Collects the parts' text as Buffers (for a length needed up front), the event loop running between chunks. */
export async function jsonBuffers(parts: readonly JsonPart[]): Promise<Buffer[]> {
  const buffers: Buffer[] = [];
  for await (const chunk of jsonChunks(parts)) buffers.push(Buffer.from(chunk, 'utf8'));
  return buffers;
}
