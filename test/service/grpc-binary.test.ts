/**
 * `entropy-sc serve --grpc-port` as users run it (the real binary): gRPC and HTTP on one process;
 * SIGTERM while gRPC calls wait in the batcher lets them finish and exits 0; a gRPC port in use is
 * one line and exit 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceClient, inferOutputs, inferRequest } from './grpc-client.ts';

const BIN = join(import.meta.dirname, '../../bin/entropy-sc.js');
const MODEL = join(import.meta.dirname, 'fixtures/tiny-lowrank.onnx');

/** A loopback port held open by `server` (close it to free the port). */
async function heldPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe('entropy-sc serve --grpc-port (binary)', () => {
  it('serves gRPC beside HTTP; on SIGTERM finishes the calls in flight and exits 0', async () => {
    const held = await heldPort();
    await new Promise((resolve) => held.server.close(resolve));
    const args = ['serve', '--model', MODEL, '--port', '0', '--grpc-port', String(held.port), '--workers', '1'];
    // Calls wait 1.5 s for company in the batcher: SIGTERM comes while all are in flight.
    const batching = ['--max-delay-ms', '1500', '--max-batch-rows', '100000', '--max-queue-rows', '100000'];
    const child = spawn(process.execPath, [BIN, ...args, ...batching], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /over gRPC \(inference\.GRPCInferenceService\) on (127\.0\.0\.1:\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
    });
    expect(address).toBe(`127.0.0.1:${held.port}`);
    expect(stderr).toMatch(/serving model 'tiny-lowrank' .* on http:\/\/127\.0\.0\.1:\d+ with 1 worker/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const client = new InferenceClient(address);
    try {
      const x = (v: number) => Float32Array.from({ length: 16 }, (_, i) => v + 0.1 * i);
      const inFlight = [1, 2, 3, 4].map((v) =>
        client.call('ModelInfer', inferRequest('tiny-lowrank', x(v), 1, 16, { outputs: ['mean', 'elbo'] })),
      );
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      const answers = await Promise.all(inFlight);
      for (const answer of answers) {
        const { mean, elbo } = inferOutputs(answer);
        expect(mean!.shape).toEqual([1, 8]);
        expect(Number.isFinite(elbo!.data[0])).toBe(true);
      }
      // Different rows, different answers: each call got its own.
      expect(new Set(answers.map((a) => inferOutputs(a).elbo!.data[0])).size).toBe(4);
      expect(await exited).toBe(0);
    } finally {
      client.close();
      child.kill('SIGKILL');
    }
    const logs = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const calls = logs.filter((l) => l.msg === 'grpc request');
    expect(calls).toHaveLength(4);
    for (const l of calls)
      expect(l).toMatchObject({ method: 'ModelInfer', code: 'OK', rows: 1, ms: expect.any(Number) });
  });

  it('says in one line that the gRPC port is in use, and exits 1', async () => {
    const held = await heldPort();
    try {
      const result = spawnSync(
        process.execPath,
        [BIN, 'serve', '--model', MODEL, '--port', '0', '--grpc-port', String(held.port), '--workers', '1'],
        { encoding: 'utf8' },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        `entropy-sc: cannot listen for gRPC on 127.0.0.1:${held.port}: the port is in use (give another with --grpc-port, or 0 for none)\n`,
      );
    } finally {
      held.server.close();
    }
  });
});
