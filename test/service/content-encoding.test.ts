/**
 * `Content-Encoding: gzip` and `deflate` request bodies (tritonclient's request_compression_algorithm):
 * the same answers as plain bodies on /v1 and the OIP; the body limit applies to the decompressed
 * size and a bomb is cut off there; bad data and unknown encodings are one JSON error, and the
 * service stays up.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../service/serve.ts';
import { post, startFake } from './fake-service.ts';
import { inferRequest } from './oip-client.ts';

const D = 4;
const H = 2;
const LIMIT = 64 * 1024;
let service: RunningService;

beforeAll(async () => {
  service = await startFake(`fake:${D}:${H}`, { limits: { bodyLimitBytes: LIMIT, maxRowsPerRequest: 2000 } });
});
afterAll(() => service.close());

const codings = { gzip: gzipSync, deflate: deflateSync } as const;
const x = Float32Array.from({ length: 300 * D }, (_, i) => Math.sin(i));
const rowsJson = JSON.stringify({
  data: Array.from({ length: 300 }, (_, i) => Array.from(x.subarray(i * D, i * D + D))),
});

describe('compressed request bodies', () => {
  for (const [coding, compress] of Object.entries(codings))
    it(`${coding}: the same answers as plain bodies, on /v1/encode and on OIP infer (JSON and binary)`, async () => {
      const plain = await post(`${service.url}/v1/encode`, rowsJson);
      const packed = await post(`${service.url}/v1/encode`, compress(rowsJson), 'application/json', {
        'content-encoding': coding,
      });
      expect(packed.status).toBe(200);
      expect(packed.bytes.equals(plain.bytes)).toBe(true);
      for (const binaryInput of [false, true]) {
        const { body, headers } = inferRequest(x, 300, D, { binaryInput, binaryDataOutput: true });
        const url = `${service.url}/v2/models/fake/infer`;
        const a = await post(url, body, headers['content-type'], headers);
        const b = await post(url, compress(body), headers['content-type'], { ...headers, 'content-encoding': coding });
        expect(a.status).toBe(200);
        expect(b.status).toBe(200);
        expect(b.bytes.equals(a.bytes)).toBe(true);
      }
    });

  it('limits the decompressed size: a small bomb is a 413', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20)); // 32 MiB of spaces in about 32 KiB
    expect(bomb.length).toBeLessThan(LIMIT);
    const small = gzipSync(Buffer.alloc(LIMIT + 1, 0x20));
    for (const body of [small, bomb]) {
      const r = await post(`${service.url}/v1/encode`, body, 'application/json', { 'content-encoding': 'gzip' });
      expect(r.status).toBe(413);
      expect(r.json()).toEqual({ error: `the request body decompresses to more than the limit of ${LIMIT} bytes` });
    }
  });

  it('answers bad data with 400, unknown encodings with 415, each one JSON error, and stays up', async () => {
    const cases = [
      {
        headers: { 'content-encoding': 'gzip' },
        body: Buffer.from('{"data": [[1, 2, 3, 4]]}'),
        status: 400,
        says: /not valid gzip data/,
      },
      { headers: { 'content-encoding': 'deflate' }, body: gzipSync('{}'), status: 400, says: /not valid deflate data/ },
      {
        headers: { 'content-encoding': 'br' },
        body: Buffer.from('{}'),
        status: 415,
        says: /unsupported Content-Encoding 'br'/,
      },
      {
        headers: { 'content-encoding': 'gzip, gzip' },
        body: Buffer.from('{}'),
        status: 415,
        says: /unsupported Content-Encoding/,
      },
    ];
    for (const c of cases) {
      const r = await post(`${service.url}/v1/encode`, c.body, 'application/json', c.headers);
      expect(r.status, c.headers['content-encoding']).toBe(c.status);
      expect(Object.keys(r.json())).toEqual(['error']);
      expect(r.json().error).toMatch(c.says);
    }
    const identity = await post(`${service.url}/v1/encode`, '{"data": [[1, 2, 3, 4]]}', 'application/json', {
      'content-encoding': 'identity',
    });
    expect(identity.json()).toEqual({ mean: [[2, 4]], variance: [[2, 5]], elbo: [10] });
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
