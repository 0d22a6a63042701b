/**
 * Reads a request body into one buffer as it arrives: allocated once from Content-Length (or grown
 * by doubling when the length is not announced), each chunk copied in on arrival. Fastify's own
 * reader concatenates every chunk at the end, which for tens of MiB stops the event loop. The buffer
 * is the request's alone (taken from the pool of buffers where one is given), and placed so that the
 * tensor bytes after a binary request's header are 4-byte aligned: the rows are then a view of the
 * body rather than a copy.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { BufferPool } from './buffer-pool.ts';
import { HttpError } from './http-error.ts';

/**
 * @param payload the body as it arrives (decompressed already, where it was sent compressed)
 * @param headers the request's: Content-Length is the payload's length unless a Content-Encoding was decoded
 * @param alignAt the offset in the body that must lie on a 4-byte boundary in memory (where float32 data starts)
 * @param buffers where a body of announced length takes its buffer (whoever is done with it gives it back)
 */
export function readBody(
  payload: Readable,
  headers: IncomingHttpHeaders,
  limit: number,
  alignAt = 0,
  buffers?: BufferPool,
): Promise<Buffer> {
  const pad = (4 - (alignAt % 4)) % 4;
  const encoded = (headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity';
  const announced = encoded ? NaN : Number(headers['content-length']);
  const known = Number.isSafeInteger(announced) && announced >= 0;
  const tooLarge = () => new HttpError(413, `the request body is larger than the limit of ${limit} bytes`);
  return new Promise((resolve, reject) => {
    if (known && announced > limit) {
      reject(tooLarge());
      return;
    }
    let buffer =
      known && buffers
        ? Buffer.from(buffers.take(pad + announced), pad, announced)
        : Buffer.allocUnsafeSlow(pad + (known ? announced : Math.min(limit, 64 * 1024))).subarray(pad);
    let length = 0;
    payload.on('data', (chunk: Buffer) => {
      if (length + chunk.length > (known ? announced : limit)) {
        payload.removeAllListeners('data').resume();
        reject(known ? new HttpError(400, 'the request body is longer than its Content-Length') : tooLarge());
        return;
      }
      if (length + chunk.length > buffer.length) {
        const grown = Buffer.allocUnsafeSlow(
          pad + Math.min(limit, Math.max(2 * buffer.length, length + chunk.length)),
        ).subarray(pad);
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      chunk.copy(buffer, length);
      length += chunk.length;
    });
    payload.once('end', () => resolve(length === buffer.length ? buffer : buffer.subarray(0, length)));
    payload.once('error', reject);
  });
}
