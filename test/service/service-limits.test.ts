/**
 * The service under bad input, overload, a dying worker, timeouts and tokens, on the stand-in encode
 * worker: every bad request gets the right 4xx with a JSON error and the service stays up.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { UserError } from '@entropy-sc/core/errors';
import type { RunningService } from '../../service/serve.ts';
import { CRASH_VALUE } from './fixtures/fake-model.ts';
import { post, startFake } from './fake-service.ts';
import { inferRequest } from './oip-client.ts';

const D = 4;
const H = 2;
const npy = (data: Float32Array, shape: number[]) =>
  Buffer.concat([formatNpyHeader({ dtype: 'float32', shape }), Buffer.from(data.buffer)]);
const oip = (body: object) => JSON.stringify(body);
const wrongSize = oip({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 12 } }],
});

/** The request kinds that must fail, with the status they get. */
const badRequests: {
  what: string;
  path?: string;
  body: string | Buffer;
  type?: string;
  headers?: Record<string, string>;
  status: number;
  says: RegExp;
}[] = [
  { what: 'wrong width', body: JSON.stringify({ data: [[1, 2, 3]] }), status: 400, says: /D=3 .*expects D=4/ },
  {
    what: 'ragged rows',
    body: JSON.stringify({
      data: [
        [1, 2, 3, 4],
        [1, 2],
      ],
    }),
    status: 400,
    says: /data\[1\] is not a row of 4 numbers/,
  },
  {
    what: 'NaN literal',
    body: '{"data": [[NaN, 1, 2, 3]]}',
    status: 400,
    says: /NaN and Infinity are not JSON numbers/,
  },
  {
    what: 'a string value',
    body: JSON.stringify({ data: [[1, '2', 3, 4]] }),
    status: 400,
    says: /data\[0\]\[1\] is "2", not a number/,
  },
  {
    what: 'beyond float32',
    body: JSON.stringify({ data: [[1, 2, 1e39, 4]] }),
    status: 400,
    says: /1e\+39 is beyond float32's range .* at \[0, 2\]/,
  },
  {
    what: 'NaN in .npy',
    body: npy(Float32Array.of(1, 2, 3, 4, 5, NaN, 7, 8), [2, 4]),
    type: 'application/x-npy',
    status: 400,
    says: /non-finite value NaN at \[1, 1\]/,
  },
  { what: 'empty', body: JSON.stringify({ data: [] }), status: 400, says: /empty/ },
  { what: 'empty .npy', body: npy(new Float32Array(0), [0, 4]), type: 'application/x-npy', status: 400, says: /empty/ },
  { what: 'missing key', body: JSON.stringify({ rows: [[1, 2, 3, 4]] }), status: 400, says: /"data" is missing/ },
  { what: 'not JSON', body: 'hello', status: 400, says: /not valid JSON/ },
  { what: 'no body', body: '', status: 400, says: /not valid JSON/ },
  { what: 'not an object', body: '[[1, 2, 3, 4]]', status: 400, says: /expected a JSON object \{"data"/ },
  {
    what: 'OIP no body',
    path: '/v2/models/fake/infer',
    body: '',
    status: 400,
    says: /inference request is not valid JSON/,
  },
  { what: 'not an .npy', body: 'hello', type: 'application/x-npy', status: 400, says: /not an \.npy file/ },
  { what: 'wrong content type', body: 'a,b', type: 'text/csv', status: 415, says: /unsupported Content-Type/ },
  {
    what: 'too large',
    body: JSON.stringify({ data: [Array(4).fill(1)], pad: 'x'.repeat(5000) }),
    status: 413,
    says: /larger than the limit of 4096 bytes/,
  },
  {
    what: 'too many rows',
    body: JSON.stringify({ data: Array.from({ length: 9 }, () => [1, 2, 3, 4]) }),
    status: 413,
    says: /9 rows, more than the limit of 8/,
  },
  {
    what: 'unknown output',
    path: '/v1/encode?outputs=mean,covariance',
    body: JSON.stringify({ data: [[1, 2, 3, 4]] }),
    status: 400,
    says: /unknown output 'covariance' \(model 'fake' offers mean, variance, elbo\)/,
  },
  {
    what: 'OIP wrong model name',
    path: '/v2/models/other/infer',
    body: oip({ inputs: [] }),
    status: 404,
    says: /unknown model 'other' \(this server serves 'fake'\)/,
  },
  {
    what: 'OIP wrong version',
    path: '/v2/models/fake/versions/2/infer',
    body: oip({ inputs: [] }),
    status: 404,
    says: /unknown version '2'/,
  },
  {
    what: 'OIP no inputs',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [] }),
    status: 400,
    says: /"inputs" must be a non-empty array/,
  },
  {
    what: 'OIP unknown input',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [{ name: 'y', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
    status: 400,
    says: /unknown input 'y'/,
  },
  {
    what: 'OIP wrong datatype',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1, 4], data: [1, 2, 3, 4] }] }),
    status: 400,
    says: /datatype "FP64", the model takes FP32/,
  },
  {
    what: 'OIP wrong width',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
    status: 400,
    says: /D=3 .*expects D=4/,
  },
  {
    what: 'OIP data count',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4] }] }),
    status: 400,
    says: /"data" has 4 elements, shape \[2, 4\] needs 8/,
  },
  {
    what: 'OIP unknown output',
    path: '/v2/models/fake/infer',
    body: oip({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
      outputs: [{ name: 'z' }],
    }),
    status: 400,
    says: /unknown output 'z'/,
  },
  {
    what: 'OIP too many rows',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [{ name: 'x', datatype: 'FP32', shape: [9, 4], data: Array(36).fill(0) }] }),
    status: 413,
    says: /9 rows/,
  },
  {
    what: 'OIP binary size',
    path: '/v2/models/fake/infer',
    body: Buffer.concat([Buffer.from(wrongSize), Buffer.alloc(12)]),
    type: 'application/octet-stream',
    headers: { 'inference-header-content-length': String(wrongSize.length) },
    status: 400,
    says: /binary_data_size 12 is not 16 bytes/,
  },
  {
    what: 'OIP header length beyond the body',
    path: '/v2/models/fake/infer',
    body: oip({ inputs: [] }),
    headers: { 'inference-header-content-length': '999' },
    status: 400,
    says: /not a byte count within the body of 13 bytes/,
  },
  { what: 'unknown endpoint', path: '/v1/nothing', body: '{}', status: 404, says: /no endpoint POST \/v1\/nothing/ },
];

describe('the service on bad requests', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startFake(`fake:${D}:${H}`, { limits: { bodyLimitBytes: 4096, maxRowsPerRequest: 8 } });
  });
  afterAll(() => service.close());

  for (const bad of badRequests)
    it(`${bad.what}: ${bad.status} with a JSON error`, async () => {
      const r = await post(service.url + (bad.path ?? '/v1/encode'), bad.body, bad.type, bad.headers);
      expect(r.status).toBe(bad.status);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const { error } = r.json();
      expect(error).toMatch(bad.says);
      expect(error).not.toMatch(/\n\s+at |\/work\/|node_modules|\.ts\b/);
    });

  it('is still up and right after all of them', async () => {
    const r = await post(`${service.url}/v1/encode`, JSON.stringify({ data: [[1, 2, 3, 4]] }));
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ mean: [[2, 4]], variance: [[2, 5]], elbo: [10] });
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });

  it('replaces a worker that dies: its request fails with a 500 once, the next ones succeed', async () => {
    const crash = await post(`${service.url}/v1/encode`, JSON.stringify({ data: [[CRASH_VALUE, 0, 0, 0]] }));
    expect(crash.status).toBe(500);
    expect(crash.json().error).toMatch(/worker .* stopped unexpectedly/);
    const after = await Promise.all(
      [1, 2, 3].map((v) => post(`${service.url}/v1/encode?outputs=elbo`, JSON.stringify({ data: [[v, 0, 0, 0]] }))),
    );
    expect(after.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(after.map((r) => r.json().elbo)).toEqual([[1], [2], [3]]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^entropy_sc_worker_restarts_total 1$/m);
  });

  it('counts requests per route and status, batch sizes and rows in /metrics', async () => {
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^entropy_sc_http_request_duration_seconds_count\{method="POST",route="\/v1\/encode",status="400"\} \d+$/m,
    );
    expect(metrics).toMatch(
      /^entropy_sc_http_request_duration_seconds_count\{method="POST",route="\/v2\/models\/:name\/infer",status="404"\} 1$/m,
    );
    // 1 + 3 rows answered (the crashed request's row is not)
    expect(metrics).toMatch(/^entropy_sc_rows_encoded_total 4$/m);
    expect(metrics).toMatch(/^entropy_sc_batch_rows_count \d+$/m);
    expect(metrics).toMatch(/^entropy_sc_queue_rows 0$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});

describe('the service under overload', () => {
  it('answers a burst beyond the queue with 503 + Retry-After, encodes the rest, and stays up', async () => {
    // One worker taking 40 ms per batch, at most 8 rows waiting, batches of 4 rows.
    const service = await startFake(`fake:${D}:${H}:40`, {
      limits: { maxQueueRows: 8, maxRowsPerRequest: 4, maxBatchRows: 4, maxQueueDelayMs: 0 },
    });
    try {
      const body = JSON.stringify({
        data: [
          [1, 1, 1, 1],
          [2, 2, 2, 2],
        ],
      });
      const results = await Promise.all(
        Array.from({ length: 40 }, () => post(`${service.url}/v1/encode?outputs=elbo`, body)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      for (const r of results) {
        if (r.status === 200) expect(r.json()).toEqual({ elbo: [4, 8] });
        else {
          expect(r.headers.get('retry-after')).toBe('1');
          expect(r.json().error).toMatch(/at capacity/);
        }
      }
      expect((await post(`${service.url}/v1/encode?outputs=elbo`, body)).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('answers a request not encoded in time with a 504', async () => {
    const service = await startFake(`fake:${D}:${H}:300`, { limits: { timeoutMs: 50 } });
    try {
      const r = await post(`${service.url}/v1/encode`, JSON.stringify({ data: [[1, 2, 3, 4]] }));
      expect(r.status).toBe(504);
      expect(r.json().error).toMatch(/not encoded within 50 ms/);
    } finally {
      await service.close();
    }
  });

  it('takes a client that goes away in the middle of its body as no error of its own (no error log, no 500)', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const service = await startFake(`fake:${D}:${H}`, { logger: { level: 'info', stream } });
    try {
      const { hostname, port } = new URL(service.url);
      const socket = connect(Number(port), hostname);
      socket.write(
        'POST /v1/encode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data": [[1,',
      );
      await new Promise((r) => setTimeout(r, 100));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      expect((await post(`${service.url}/v1/encode`, JSON.stringify({ data: [[1, 2, 3, 4]] }))).status).toBe(200);
      const levels = lines.map((line) => (JSON.parse(line) as { level: number }).level);
      expect(levels.filter((level) => level >= 50)).toEqual([]);
      expect(await (await fetch(`${service.url}/metrics`)).text()).not.toMatch(/status="500"/);
    } finally {
      await service.close();
    }
  });

  it('closes gracefully: requests in flight finish, readiness turns false, new connections are refused', async () => {
    const service = await startFake(`fake:${D}:${H}:300`);
    const encode = (v: number) =>
      post(`${service.url}/v1/encode?outputs=elbo`, JSON.stringify({ data: [[v, 0, 0, 0]] }));
    await encode(0);
    const inFlight = Promise.all([1, 2, 3].map(encode));
    // All three are in the service (the first batch takes 300 ms) when the close begins.
    await new Promise((r) => setTimeout(r, 150));
    const closing = service.close();
    const results = await inFlight;
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => r.json().elbo)).toEqual([[1], [2], [3]]);
    await closing;
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });
});

describe('the bearer token', () => {
  let service: RunningService;
  const token = 's3cret-token';
  beforeAll(async () => {
    service = await startFake(`fake:${D}:${H}`, { token });
  });
  afterAll(() => service.close());

  it('is needed everywhere but health (401 without it or with a wrong one)', async () => {
    for (const path of ['/healthz', '/v2/health/live', '/v2/health/ready'])
      expect((await fetch(service.url + path)).status, path).toBe(200);
    for (const path of ['/v1/model', '/v2', '/v2/models/fake', '/metrics']) {
      const none = await fetch(service.url + path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await none.json()) as { error: string }).error).toMatch(/bearer token/);
      expect(
        (await fetch(service.url + path, { headers: { authorization: 'Bearer s3cret-tokeN' } })).status,
        path,
      ).toBe(401);
      expect((await fetch(service.url + path, { headers: { authorization: `Bearer ${token}` } })).status, path).toBe(
        200,
      );
    }
    const { body, headers } = inferRequest(Float32Array.of(1, 2, 3, 4), 1, D, { binaryInput: true });
    expect(
      (
        await post(`${service.url}/v2/models/fake/infer`, body, headers['content-type'], {
          ...headers,
          authorization: 'Bearer nope',
        })
      ).status,
    ).toBe(401);
    const ok = await post(`${service.url}/v2/models/fake/infer`, body, headers['content-type'], {
      ...headers,
      authorization: `Bearer ${token}`,
    });
    expect(ok.status).toBe(200);
  });

  it('is required on a non-loopback address unless --insecure', async () => {
    await expect(startFake(`fake:${D}:${H}`, { host: '0.0.0.0' })).rejects.toThrow(UserError);
    await expect(startFake(`fake:${D}:${H}`, { host: '0.0.0.0' })).rejects.toThrow(
      /refusing to listen on 0\.0\.0\.0 without a token/,
    );
  });

  it('reads the token from a file, one line', async () => {
    const { loadToken } = await import('../../service/auth.ts');
    const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-token-'));
    writeFileSync(join(dir, 'token'), 'abc123\n');
    expect(await loadToken(join(dir, 'token'))).toBe('abc123');
    expect(await loadToken(undefined, { token: 'from-env' })).toBe('from-env');
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(loadToken(join(dir, 'empty'))).rejects.toThrow(/the file is empty/);
    await expect(loadToken(join(dir, 'missing'))).rejects.toThrow(/no such file/);
  });
});
