/**
 * The service as an operator pushes it before production, on the stand-in encode worker: the drain
 * delivers every answer in flight (and says when one was lost) without waiting for stalled clients,
 * one memory budget refuses work it cannot hold (503 + Retry-After) and frees what a client that
 * does not read holds, /healthz answers in time while a maximal request is served, and the inputs
 * that used to be 500s or hang are 4xx.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { startService, type RunningService } from '../../service/serve.ts';
import { imageCardPatchModel } from '../helpers/image-card-model.ts';
import { post, startFake } from './fake-service.ts';

const npy = (data: Float32Array, shape: number[]) =>
  Buffer.concat([formatNpyHeader({ dtype: 'float32', shape }), Buffer.from(data.buffer)]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A POST whose response the caller reads (or not) itself. */
function open(url: string, path: string, body: Buffer, type = 'application/x-npy'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type, 'content-length': body.length },
      agent: false,
    });
    request.on('response', resolve).on('error', reject);
    request.end(body);
  });
}

/** Reads the rest of a response; resolves with its length and whether it arrived whole. */
function readAll(response: IncomingMessage): Promise<{ bytes: number; complete: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    response.on('data', (chunk: Buffer) => (bytes += chunk.length));
    response.on('end', () => resolve({ bytes, complete: response.complete }));
    response.on('error', () => resolve({ bytes, complete: false }));
    response.on('close', () => resolve({ bytes, complete: response.complete }));
    response.resume();
  });
}

/** A connection that sent `text`; what it receives collects in `received`. */
function rawSocket(url: string, text: string | Buffer): Promise<{ socket: Socket; received: () => string }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    let received = '';
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(text);
      resolve({ socket, received: () => received });
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
  });
}

const closed = (socket: Socket) =>
  new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

/** 2048 rows of H=4096 means: a 32 MiB .npy answer, far beyond what loopback buffers hold. */
const BIG_ROWS = 2048;
const BIG_H = 4096;
const bigRequest = () => npy(new Float32Array(BIG_ROWS * 4).fill(1), [BIG_ROWS, 4]);
const BIG_ANSWER = formatNpyHeader({ dtype: 'float32', shape: [BIG_ROWS, BIG_H] }).length + BIG_ROWS * BIG_H * 4;

describe('the drain', () => {
  it('delivers a large answer the client is still reading, whole, and says all were delivered', async () => {
    const service = await startFake(`fake:4:${BIG_H}`);
    const response = await open(service.url, '/v1/encode?outputs=mean', bigRequest());
    response.pause();
    await sleep(200);
    const closing = service.close();
    await sleep(300);
    expect((await fetch(`${service.url}/healthz`).catch(() => null))?.status ?? 'refused').toBe('refused');
    const { bytes, complete } = await readAll(response);
    expect(bytes).toBe(BIG_ANSWER);
    expect(complete).toBe(true);
    expect(await closing).toEqual({ delivered: true, lost: 0 });
  });

  it('closes at once connections with half a header, half a body, or idle, and does not wait for them', async () => {
    const service = await startFake('fake:4:2');
    expect((await post(`${service.url}/v1/encode`, JSON.stringify({ data: [[1, 2, 3, 4]] }))).status).toBe(200);
    const halfHeader = await rawSocket(service.url, 'POST /v1/encode HTTP/1.1\r\nHost: x\r\nContent-Ty');
    const halfBody = await rawSocket(
      service.url,
      'POST /v1/encode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"data": [[1,',
    );
    const idle = await rawSocket(service.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
    const start = performance.now();
    const result = await service.close();
    expect(performance.now() - start).toBeLessThan(2000);
    expect(result).toEqual({ delivered: true, lost: 0 });
    await Promise.all([closed(halfHeader.socket), closed(halfBody.socket), closed(idle.socket)]);
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('reports an answer lost when its client goes away during the drain', async () => {
    const service = await startFake(`fake:4:${BIG_H}`);
    const response = await open(service.url, '/v1/encode?outputs=mean', bigRequest());
    response.pause();
    const closing = service.close();
    await sleep(200);
    response.destroy();
    expect(await closing).toEqual({ delivered: false, lost: 1 });
  });
});

describe('the drain shared with other servers of the process', () => {
  it('tells them it starts and waits for the work they registered, counting what was not delivered', async () => {
    const service = await startFake('fake:4:2');
    let told = 0;
    service.drain.onStart(() => told++);
    const delivered = service.drain.begin();
    const lost = service.drain.begin();
    let closed = false;
    const closing = service.close().then((result) => ((closed = true), result));
    await sleep(100);
    expect(told).toBe(1);
    expect(closed).toBe(false);
    delivered(true);
    lost(false);
    expect(await closing).toEqual({ delivered: false, lost: 1 });
  });
});

describe('the memory budget', () => {
  it('refuses with 503 + Retry-After, before encoding, what it cannot hold, and gets every byte back', async () => {
    // The first request holds about 1 MiB (its answer stream's share) for the 300 ms of its batch.
    const service = await startFake('fake:4:2:300', {
      limits: { memoryBudgetBytes: 1.5 * 2 ** 20, bodyLimitBytes: 512 * 1024 },
    });
    try {
      const body = JSON.stringify({ data: [[1, 2, 3, 4]] });
      const first = post(`${service.url}/v1/encode?outputs=elbo`, body);
      await sleep(100);
      expect(service.budget.usedBytes).toBeGreaterThan(2 ** 20);
      const second = await post(`${service.url}/v1/encode?outputs=elbo`, body);
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect(second.json().error).toMatch(/memory budget .* retry later/);
      expect((await first).json()).toEqual({ elbo: [10] });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^entropy_sc_rows_encoded_total 1$/m);
      expect(metrics).toMatch(/^entropy_sc_requests_rejected_total\{reason="memory_budget"\} 1$/m);
      expect(metrics).toMatch(/^entropy_sc_memory_budget_used_bytes 0$/m);
      expect(service.budget.usedBytes).toBe(0);
      // Beyond the whole budget: never possible, a 413.
      const huge = await post(
        `${service.url}/v1/encode`,
        npy(new Float32Array(16384 * 4), [16384, 4]),
        'application/x-npy',
      );
      expect(huge.status).toBe(413);
      expect(huge.json().error).toMatch(/more than the service's memory budget of 1\.5 MiB/);
    } finally {
      await service.close();
    }
  });

  it('refuses a body it cannot hold from its Content-Length, before a byte of it arrives', async () => {
    const service = await startFake('fake:4:2:500', {
      limits: { memoryBudgetBytes: 2 * 2 ** 20, bodyLimitBytes: 2 * 2 ** 20 },
    });
    try {
      // About 1 MiB held for 500 ms; then a body of 1.5 MiB is announced and never sent.
      const holding = post(`${service.url}/v1/encode?outputs=elbo`, JSON.stringify({ data: [[1, 2, 3, 4]] }));
      await sleep(100);
      const { socket, received } = await rawSocket(
        service.url,
        `POST /v1/encode HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-npy\r\nContent-Length: ${1.5 * 2 ** 20}\r\n\r\n`,
      );
      const start = performance.now();
      while (!received().includes('\r\n\r\n') && performance.now() - start < 5000) await sleep(10);
      expect(received()).toMatch(/^HTTP\/1\.1 503 /);
      expect(received()).toMatch(/retry-after: 1/i);
      socket.destroy();
      expect((await holding).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  it('cuts a client that does not read its answer after the send timeout, and frees what it held', async () => {
    const service = await startFake(`fake:4:${BIG_H}`, { limits: { sendTimeoutMs: 300 } });
    try {
      const response = await open(service.url, '/v1/encode?outputs=mean', bigRequest());
      response.pause();
      await sleep(100);
      expect(service.budget.usedBytes).toBeGreaterThan(BIG_ROWS * BIG_H * 4);
      // The client, not reading, has not seen the cut yet; the service has freed the answer.
      const start = performance.now();
      while (service.budget.usedBytes > 0 && performance.now() - start < 5000) await sleep(50);
      expect(service.budget.usedBytes).toBe(0);
      const { bytes, complete } = await readAll(response);
      expect(complete).toBe(false);
      expect(bytes).toBeLessThan(BIG_ANSWER);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('the event loop', () => {
  it('answers /healthz within 100 ms (95%; 500 ms at most) while a maximal JSON request is parsed, encoded and answered', async () => {
    const d = 256;
    const rows = 16384;
    const service = await startFake(`fake:${d}:${d}`);
    const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-big-'));
    try {
      const row = Array.from({ length: d }, (_, j) => ((j % 97) + 0.123456).toFixed(6)).join(',');
      const file = join(dir, 'body.json');
      writeFileSync(file, `{"data":[${Array.from({ length: rows }, () => `[${row}]`).join(',')}]}`);
      expect(statSync(file).size).toBeGreaterThan(30 * 2 ** 20);
      const { status, bytes, latencies } = await healthWhilePosting(service.url, '/v1/encode', file);
      expect(status).toBe(200);
      expect(bytes).toBeGreaterThan(50 * 2 ** 20);
      expectResponsive(latencies);
    } finally {
      rmSync(dir, { recursive: true });
      await service.close();
    }
  }, 120_000);

  it('answers /healthz in time while a 52 MB JSON request to an image model is parsed and checked (then refused: a value beyond UINT8)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'entropy-sc-big-'));
    const model = join(dir, 'model.onnx');
    writeFileSync(model, imageCardPatchModel());
    // The model and the image model built from it at start; windows enough for one large image.
    const service = await startService({
      modelPath: model,
      port: 0,
      pool: { workers: 1, threadsPerWorker: 1 },
      limits: { maxRowsPerRequest: 10_000_000, maxQueueRows: 10_000_000 },
    });
    try {
      const side = 2200;
      const values = Array.from({ length: side * 3 }, (_, i) => (i * 37) % 256).join(',');
      const file = join(dir, 'image.json');
      // Every value is checked before the last one, 256, refuses the request.
      const data = `${Array.from({ length: side }, () => values)
        .join(',')
        .slice(0, -3)}256`;
      writeFileSync(
        file,
        `{"inputs":[{"name":"image","datatype":"UINT8","shape":[1,${side},${side},3],"data":[${data}]}]}`,
      );
      expect(statSync(file).size).toBeGreaterThan(49 * 2 ** 20);
      const image = service.models.list.find((m) => m.kind === 'image')!.name;
      const { status, latencies } = await healthWhilePosting(service.url, `/v2/models/${image}/infer`, file);
      expect(status).toBe(400);
      expectResponsive(latencies);
    } finally {
      rmSync(dir, { recursive: true });
      await service.close();
    }
  }, 120_000);
});

/**
 * Posts a body file from a client process of its own, as clients are, and probes /healthz every
 * 20 ms until the answer is read: its status, its length, and each probe's latency.
 */
async function healthWhilePosting(
  url: string,
  path: string,
  file: string,
): Promise<{ status: number; bytes: number; latencies: number[] }> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200); // the probe's connection, once
  const client = spawn(process.execPath, ['-e', BIG_CLIENT, `${url}${path}`, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let done = false;
  const exited = new Promise<void>((resolve) =>
    client.once('exit', () => {
      done = true;
      resolve();
    }),
  );
  // From when a probe is due (20 ms after the last answer) to its answer: the service runs in this
  // process, so a blocked event loop may delay the pause as well as the probe.
  const latencies: number[] = [];
  let due = performance.now();
  while (!done) {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const answered = performance.now();
    latencies.push(answered - due);
    await sleep(20);
    due = answered + 20;
  }
  await exited;
  const [status, bytes] = output.trim().split(' ').map(Number);
  return { status: status!, bytes: bytes!, latencies };
}

/**
 * 95% within 100 ms, none beyond 500 ms: on a machine with more runnable threads than cores a probe
 * is sometimes descheduled for a while; a blocked event loop (seconds, before the fixes) fails both.
 */
function expectResponsive(latencies: number[]): void {
  expect(latencies.length).toBeGreaterThan(10);
  const sorted = latencies.sort((a, b) => a - b);
  expect(sorted[Math.floor(0.95 * (sorted.length - 1))]).toBeLessThan(100);
  expect(sorted.at(-1)).toBeLessThan(500);
}

/** argv: url, body file; prints "status bytes" of the answer. */
const BIG_CLIENT = `
const [url, file] = process.argv.slice(1);
const body = require('node:fs').readFileSync(file);
const request = require('node:http').request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (response) => {
  let bytes = 0;
  response.on('data', (chunk) => (bytes += chunk.length));
  response.on('end', () => console.log(response.statusCode, bytes));
});
request.end(body);
`;

describe('requests that were 500s or held connections', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startFake('fake:4:2', { limits: { timeoutMs: 1000 } });
  });
  afterAll(() => service.close());

  it('POST without a body or a Content-Type is a 400', async () => {
    const r = await fetch(`${service.url}/v1/encode`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/not valid JSON/);
  });

  it('10 000 levels of nesting in OIP data or an .npy header are a 400', async () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    const oip = `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":${deep}}]}`;
    const r = await post(`${service.url}/v2/models/fake/infer`, oip);
    expect(r.status).toBe(400);
    expect(r.json().error).toMatch(/"data" has \d+ elements|not a number/);
    const header = Buffer.from(
      `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(10000)}${')'.repeat(10000)}, }`,
    );
    const text = Buffer.concat([
      header,
      Buffer.alloc((64 - ((12 + header.length + 1) % 64)) % 64, 0x20),
      Buffer.from('\n'),
    ]);
    const preamble = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
    preamble.writeUInt32LE(text.length, 8);
    const n = await post(`${service.url}/v1/encode`, Buffer.concat([preamble, text]), 'application/x-npy');
    expect(n.status).toBe(400);
    expect(n.json().error).toMatch(/nested deeper than 32 levels/);
  });

  it('Expect: other than 100-continue is a 417 with a JSON error', async () => {
    const { socket, received } = await rawSocket(
      service.url,
      'POST /v1/encode HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
    await closed(socket);
    const text = received();
    expect(text).toMatch(/^HTTP\/1\.1 417 /);
    expect(text).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error).toMatch(/Expect: foo is not supported/);
  });

  it('a body that stops arriving is cut at --timeout-ms, not after Node’s 90 s', async () => {
    const { socket } = await rawSocket(
      service.url,
      'POST /v1/encode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"da',
    );
    const start = performance.now();
    await closed(socket);
    expect(performance.now() - start).toBeLessThan(3500);
  });

  it('exposes only metric names that Prometheus’s lint accepts (_total for counters only)', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    expect(types.length).toBeGreaterThan(20);
    for (const { name, type } of types) {
      expect(name, name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (type === 'counter') expect(name, `${name} is a counter`).toMatch(/_total$/);
      else expect(name, `${name} is a ${type}`).not.toMatch(/_total$/);
      expect(text, `${name} has help`).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
  });
});
