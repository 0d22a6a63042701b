/**
 * `entropy-sc serve` as users run it (the real binary): SIGTERM while requests wait in the batcher
 * lets them finish and exits 0, and delivers large answers still being read whole; a model that
 * cannot be loaded is one line and exit 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';

const BIN = join(import.meta.dirname, '../../bin/entropy-sc.js');
const MODEL = join(import.meta.dirname, 'fixtures/tiny-lowrank.onnx');

describe('entropy-sc serve (binary)', () => {
  it('on SIGTERM finishes the requests in flight and exits 0, closing its port', async () => {
    // Requests wait 1.5 s for company in the batcher: SIGTERM comes while all are in flight.
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--model',
        MODEL,
        '--port',
        '0',
        // gRPC's default port 8081 may be taken where the tests run (test/service/grpc-binary.test.ts serves it)
        '--grpc-port',
        '0',
        '--workers',
        '1',
        '--max-delay-ms',
        '1500',
        '--max-batch-rows',
        '100000',
        '--max-queue-rows',
        '100000',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
    });
    expect(stderr).toMatch(
      /serving model 'tiny-lowrank' \(D=16, H=8; mean, variance, elbo, reconstruction, cov_factor, cov_diag, covariance\)/,
    );
    // The service (the supervisor's child) gives large freed buffers back to the system at once.
    const service = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    expect(readFileSync(`/proc/${service}/environ`, 'utf8').split('\0')).toContain('MALLOC_MMAP_THRESHOLD_=4194304');
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const start = Date.now();
      child.once('exit', (code) => resolve({ code, ms: Date.now() - start }));
    });
    const x = (v: number) => JSON.stringify({ data: [Array(16).fill(v)] });
    const inFlight = [1, 2, 3, 4, 5, 6].map((v) =>
      fetch(`${url}/v1/encode?outputs=mean`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: x(v),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { mean?: number[][] },
      })),
    );
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const a of answers) expect(a.body.mean![0]).toHaveLength(8);
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(15_000);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const logs = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.some((l) => l.signal === 'SIGTERM')).toBe(true);
    const requests = logs.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(6);
    for (const l of requests)
      expect(l).toMatchObject({
        route: '/v1/encode',
        status: 200,
        rows: 1,
        reqId: expect.any(String),
        ms: expect.any(Number),
      });
  });

  it('on SIGTERM delivers every large answer its clients are still reading, whole, and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--model', MODEL, '--port', '0', '--workers', '1', '--max-queue-rows', '65536'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // 16 384 rows with every output: an .npz of about 8 MB each, far beyond loopback's buffers.
    const rows = 16384;
    const body = Buffer.concat([
      formatNpyHeader({ dtype: 'float32', shape: [rows, 16] }),
      Buffer.from(new Float32Array(rows * 16).fill(0.5).buffer),
    ]);
    const responses = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<IncomingMessage>((resolve, reject) => {
            const request = httpRequest(`${url}/v1/encode`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-npy', 'content-length': body.length },
              agent: false,
            });
            request.on('response', resolve).on('error', reject);
            request.end(body);
          }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    for (const response of responses) response.pause();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    const received = await Promise.all(
      responses.map(
        (response) =>
          new Promise<{ bytes: number; expected: number; complete: boolean }>((resolve) => {
            let bytes = 0;
            response.on('data', (chunk: Buffer) => (bytes += chunk.length));
            response.on('close', () =>
              resolve({ bytes, expected: Number(response.headers['content-length']), complete: response.complete }),
            );
            response.resume();
          }),
      ),
    );
    for (const r of received) {
      expect(r.expected).toBeGreaterThan(7_000_000);
      expect(r).toEqual({ bytes: r.expected, expected: r.expected, complete: true });
    }
    expect(await exited).toBe(0);
  });

  it('says in one line why it cannot load the model, and exits 1', () => {
    const missing = spawnSync(process.execPath, [BIN, 'serve', '--model', 'no-such.onnx', '--port', '0'], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('entropy-sc: no-such.onnx: no such model file\n');
  });
});
