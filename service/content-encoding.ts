/**
 * Compressed request bodies (`Content-Encoding: gzip` or `deflate`, as tritonclient sends with
 * `request_compression_algorithm`): decompressed as they stream in, with the body limit on the
 * decompressed size: decompression stops at the limit (a 413), so a small compressed bomb costs
 * no more than an honest body of the limit. Other encodings are a 415.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { HttpError } from './http-error.ts';

const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
};

/** What fastify's body reader checks Content-Length against when a preParsing stream replaced the body. */
type DecodedStream = Transform & { receivedEncodedLength: number };

/**
 * The body stream to read: `payload` itself, or its decompression.
 * @param limit most decompressed bytes
 */
export function decodedBody(headers: IncomingHttpHeaders, payload: Readable, limit: number): Readable {
  const header = headers['content-encoding'];
  if (header === undefined) return payload;
  const coding = header.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return payload;
  const decoder = DECODERS[coding]?.();
  if (!decoder)
    throw new HttpError(415, `unsupported Content-Encoding '${header.slice(0, 40)}' (send gzip, deflate or none)`);

  let decoded = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      decoded += chunk.length;
      if (decoded > limit)
        callback(
          new HttpError(413, `the request body decompresses to more than the limit of ${limit} bytes`, {
            connection: 'close',
          }),
        );
      else callback(null, chunk);
    },
  }) as DecodedStream;
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  decoder.on('error', (error) =>
    out.destroy(new HttpError(400, `the request body is not valid ${coding} data (${error.message.slice(0, 80)})`)),
  );
  // Stop decompressing once the reader failed (limit, bad data): the rest of the body is not inflated.
  out.on('error', () => {
    payload.unpipe(decoder);
    decoder.destroy();
  });
  payload.pipe(decoder).pipe(out);
  return out;
}
