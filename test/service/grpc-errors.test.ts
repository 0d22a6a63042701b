/**
 * The gRPC service's failures on the stand-in encode worker: every client mistake gets its status
 * code (INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNAUTHENTICATED, DEADLINE_EXCEEDED) with a
 * message naming the problem, never INTERNAL, and the server stays up; answers above gRPC's usual
 * 4 MiB; a graceful close under load.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../service/serve.ts';
import { startFake } from './fake-service.ts';
import { CRASH_VALUE } from './fixtures/fake-model.ts';
import { InferenceClient, inferOutputs, inferRequest, type Message } from './grpc-client.ts';

const D = 4;
const H = 2;
const x1 = Float32Array.of(1, 2, 3, 4);

function expectStatus(error: ServiceError, code: status, says: RegExp) {
  expect(status[error.code], error.details).toBe(status[code]);
  expect(error.details).toMatch(says);
  expect(error.details).not.toMatch(/\n\s+at |\/work\/|node_modules|\.ts\b/);
}

describe('gRPC bad requests', () => {
  let service: RunningService;
  let client: InferenceClient;
  beforeAll(async () => {
    service = await startFake(`fake:${D}:${H}`, {
      grpcPort: 0,
      limits: { bodyLimitBytes: 4096, maxRowsPerRequest: 8 },
    });
    client = new InferenceClient(service.grpc!.address);
  });
  afterAll(async () => {
    client.close();
    await service.close();
  });

  const good = () => inferRequest('fake', x1, 1, D) as Message & { inputs: Message[]; raw_input_contents: Buffer[] };
  const withInput = (change: Message, raw?: Buffer[]) => {
    const request = good();
    request.inputs = [{ ...request.inputs[0], ...change }];
    if (raw) request.raw_input_contents = raw;
    return request;
  };
  const cases: { what: string; method?: string; request: () => Message; code: status; says: RegExp }[] = [
    {
      what: 'wrong input name',
      request: () => withInput({ name: 'y' }),
      code: status.INVALID_ARGUMENT,
      says: /unknown input 'y'.*'x'/,
    },
    {
      what: 'no input',
      request: () => ({ ...good(), inputs: [], raw_input_contents: [] }),
      code: status.INVALID_ARGUMENT,
      says: /no input tensor/,
    },
    {
      what: 'input twice',
      request: () => ({
        ...good(),
        inputs: [good().inputs[0], good().inputs[0]],
        raw_input_contents: [Buffer.from(x1.buffer), Buffer.from(x1.buffer)],
      }),
      code: status.INVALID_ARGUMENT,
      says: /given 2 times/,
    },
    {
      what: 'wrong datatype',
      request: () => withInput({ datatype: 'INT32' }),
      code: status.INVALID_ARGUMENT,
      says: /datatype "INT32", the model takes FP32/,
    },
    {
      what: 'wrong width',
      request: () => withInput({ shape: [2, 2] }),
      code: status.INVALID_ARGUMENT,
      says: /D=2 .*expects D=4/,
    },
    { what: 'wrong rank', request: () => withInput({ shape: [4] }), code: status.INVALID_ARGUMENT, says: /shape/ },
    {
      what: 'negative dimension',
      request: () => withInput({ shape: [-1, 4] }),
      code: status.INVALID_ARGUMENT,
      says: /non-negative integers/,
    },
    {
      what: 'byte count',
      request: () => withInput({}, [Buffer.alloc(12)]),
      code: status.INVALID_ARGUMENT,
      says: /raw_input_contents\[0\] has 12 bytes, shape \[1, 4\] of FP32 needs 16/,
    },
    {
      what: 'raw buffers for inputs',
      request: () => withInput({}, [Buffer.alloc(16), Buffer.alloc(16)]),
      code: status.INVALID_ARGUMENT,
      says: /2 buffers for 1 inputs/,
    },
    {
      what: 'raw and typed both',
      request: () => withInput({ contents: { fp32_contents: [1, 2, 3, 4] } }),
      code: status.INVALID_ARGUMENT,
      says: /not both/,
    },
    { what: 'no data', request: () => withInput({}, []), code: status.INVALID_ARGUMENT, says: /no data/ },
    {
      what: 'typed count',
      request: () => withInput({ contents: { fp32_contents: [1, 2, 3] } }, []),
      code: status.INVALID_ARGUMENT,
      says: /fp32_contents has 3 elements, shape \[1, 4\] needs 4/,
    },
    {
      what: 'typed in the wrong field',
      request: () => withInput({ contents: { fp64_contents: [1, 2, 3, 4] } }, []),
      code: status.INVALID_ARGUMENT,
      says: /fp32_contents/,
    },
    {
      what: 'not finite',
      request: () => withInput({}, [Buffer.from(Float32Array.of(1, NaN, 3, 4).buffer)]),
      code: status.INVALID_ARGUMENT,
      says: /NaN|finite/i,
    },
    {
      what: 'unknown model',
      request: () => ({ ...good(), model_name: 'other' }),
      code: status.NOT_FOUND,
      says: /unknown model 'other' \(this server serves 'fake'\)/,
    },
    {
      what: 'unknown version',
      request: () => ({ ...good(), model_version: '2' }),
      code: status.NOT_FOUND,
      says: /unknown version '2'/,
    },
    {
      what: 'unknown output',
      request: () => ({ ...good(), outputs: [{ name: 'mean' }, { name: 'z' }] }),
      code: status.NOT_FOUND,
      says: /unknown output 'z'.*offers mean, variance, elbo/,
    },
    {
      what: 'unknown model metadata',
      method: 'ModelMetadata',
      request: () => ({ name: 'other' }),
      code: status.NOT_FOUND,
      says: /unknown model 'other'/,
    },
    {
      what: 'unknown model ready',
      method: 'ModelReady',
      request: () => ({ name: 'other' }),
      code: status.NOT_FOUND,
      says: /unknown model 'other'/,
    },
    {
      what: 'unknown model config',
      method: 'ModelConfig',
      request: () => ({ name: 'other' }),
      code: status.NOT_FOUND,
      says: /unknown model 'other'/,
    },
    {
      what: 'too many rows',
      request: () => inferRequest('fake', new Float32Array(9 * D), 9, D),
      code: status.RESOURCE_EXHAUSTED,
      says: /9 rows, more than the limit of 8/,
    },
    {
      // the right shape, but 8000 bytes: past the 4096-byte limit before any tensor check
      what: 'oversized message',
      request: () => withInput({}, [Buffer.alloc(8000)]),
      code: status.RESOURCE_EXHAUSTED,
      says: /message larger than max \(\d+ vs\.? 4096\)/i,
    },
  ];
  for (const bad of cases)
    it(`${bad.what}: ${status[bad.code]}, and the server stays up`, async () => {
      expectStatus(await client.error(bad.method ?? 'ModelInfer', bad.request()), bad.code, bad.says);
      expect(await client.call('ServerLive', {})).toEqual({ live: true });
    });

  it('answers the same request when it is right', async () => {
    const { elbo, mean } = inferOutputs(await client.call('ModelInfer', good()));
    expect(Array.from(elbo!.data)).toEqual([10]);
    expect(Array.from(mean!.data)).toEqual([2, 4]);
  });

  it('answers a crashed worker with UNAVAILABLE (retry), and the next call is served', async () => {
    const crash = inferRequest('fake', Float32Array.of(CRASH_VALUE, 0, 0, 0), 1, D);
    expectStatus(await client.error('ModelInfer', crash), status.UNAVAILABLE, /stopped unexpectedly/);
    expect(inferOutputs(await client.call('ModelInfer', good())).elbo!.data[0]).toBe(10);
  });
});

describe('gRPC limits, deadlines and the token', () => {
  it('answers 1024 rows with 8 MiB of outputs (above the usual 4 MiB) under the default limits', async () => {
    const service = await startFake('fake:16:1024', { grpcPort: 0 });
    const client = new InferenceClient(service.grpc!.address);
    try {
      const x = Float32Array.from({ length: 1024 * 16 }, (_, i) => i % 7);
      const response = await client.call(
        'ModelInfer',
        inferRequest('fake', x, 1024, 16, { outputs: ['mean', 'variance'] }),
      );
      const raw = response.raw_output_contents as Buffer[];
      expect(raw.map((b) => b.length)).toEqual([1024 * 1024 * 4, 1024 * 1024 * 4]);
      const { mean } = inferOutputs(response);
      expect(mean!.data[1024 * 5 + 3]).toBe(2 * x[16 * 5 + 3]!);
    } finally {
      client.close();
      await service.close();
    }
  });

  it('answers a full queue with RESOURCE_EXHAUSTED, encodes the rest, and stays up', async () => {
    const service = await startFake(`fake:${D}:${H}:40`, {
      grpcPort: 0,
      limits: { maxQueueRows: 8, maxRowsPerRequest: 4, maxBatchRows: 4, maxQueueDelayMs: 0 },
    });
    const client = new InferenceClient(service.grpc!.address);
    try {
      const x = Float32Array.of(1, 1, 1, 1, 2, 2, 2, 2);
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, () =>
          client.call('ModelInfer', inferRequest('fake', x, 2, D, { outputs: ['elbo'] })),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as ServiceError);
      expect(ok.length).toBeGreaterThanOrEqual(4);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of ok) expect(Array.from(inferOutputs(r.value).elbo!.data)).toEqual([4, 8]);
      for (const error of refused) expectStatus(error, status.RESOURCE_EXHAUSTED, /at capacity/);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^entropy_sc_requests_rejected_total\{reason="queue_full"\} [1-9]/m);
      expect(inferOutputs(await client.call('ModelInfer', inferRequest('fake', x, 2, D))).elbo!.data).toEqual(
        Float32Array.of(4, 8),
      );
    } finally {
      client.close();
      await service.close();
    }
  });

  it("answers DEADLINE_EXCEEDED past the client's deadline and past the server's timeout", async () => {
    const service = await startFake(`fake:${D}:${H}:300`, { grpcPort: 0, limits: { timeoutMs: 100 } });
    const client = new InferenceClient(service.grpc!.address);
    try {
      const late = await client.error('ModelInfer', inferRequest('fake', x1, 1, D), { deadlineMs: 50 });
      expect(status[late.code]).toBe('DEADLINE_EXCEEDED');
      expectStatus(
        await client.error('ModelInfer', inferRequest('fake', x1, 1, D)),
        status.DEADLINE_EXCEEDED,
        /not encoded within 100 ms/,
      );
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    } finally {
      client.close();
      await service.close();
    }
  });

  it('needs authorization: Bearer <token> metadata on every RPC but liveness and readiness', async () => {
    const token = 's3cret-token';
    const service = await startFake(`fake:${D}:${H}`, { grpcPort: 0, token });
    const client = new InferenceClient(service.grpc!.address);
    try {
      expect(await client.call('ServerLive', {})).toEqual({ live: true });
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
      const calls: [string, Message][] = [
        ['ModelReady', { name: 'fake' }],
        ['ServerMetadata', {}],
        ['ModelMetadata', { name: 'fake' }],
        ['ModelConfig', { name: 'fake' }],
        ['RepositoryIndex', {}],
        ['ModelInfer', inferRequest('fake', x1, 1, D)],
      ];
      for (const [method, request] of calls) {
        expectStatus(await client.error(method, request), status.UNAUTHENTICATED, /bearer token/);
        expectStatus(
          await client.error(method, request, { token: 's3cret-tokeN' }),
          status.UNAUTHENTICATED,
          /bearer token/,
        );
        await expect(client.call(method, request, { token }), method).resolves.toBeDefined();
      }
    } finally {
      client.close();
      await service.close();
    }
  });
});

describe('gRPC shutdown', () => {
  it('closes gracefully under load: calls in flight finish with their own rows, then the port is closed', async () => {
    const service = await startFake(`fake:${D}:${H}:300`, { grpcPort: 0 });
    const client = new InferenceClient(service.grpc!.address);
    try {
      const encode = (v: number) =>
        client.call('ModelInfer', inferRequest('fake', Float32Array.of(v, 0, 0, 0), 1, D, { outputs: ['elbo'] }));
      await encode(0);
      const inFlight = Promise.all([1, 2, 3, 4, 5].map(encode));
      await new Promise((r) => setTimeout(r, 150));
      const closing = service.close();
      const answers = await inFlight;
      expect(answers.map((a) => inferOutputs(a).elbo!.data[0])).toEqual([1, 2, 3, 4, 5]);
      await closing;
      const after = await client.error('ServerLive', {}, { deadlineMs: 2000 });
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(status[after.code]);
    } finally {
      client.close();
    }
  });
});
