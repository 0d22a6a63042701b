/**
 * The Open Inference Protocol over gRPC on a real exported encoder, through a grpc-js client with the
 * service's `.proto`: every RPC, ModelInfer's outputs equal to /v1/encode and to the library for the
 * same rows (raw and typed contents), concurrent calls each getting their own rows, the `.proto`'s
 * field numbers against the published protocol's wire bytes, and the answer's own encoder against
 * protobufjs's writer.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type EncoderModel } from '@entropy-sc/inference/model';
import { inferenceService } from '../../service/grpc/protocol.ts';
import { startService, type RunningService } from '../../service/serve.ts';
import { D, expectSame, MODEL, NAME, rows } from './tiny-model.ts';
import { post } from './fake-service.ts';
import { InferenceClient, inferOutputs, inferRequest } from './grpc-client.ts';

let service: RunningService;
let library: EncoderModel;
let client: InferenceClient;

beforeAll(async () => {
  [service, library] = await Promise.all([
    startService({ modelPath: MODEL, port: 0, grpcPort: 0, pool: { workers: 2, threadsPerWorker: 1 } }),
    loadModel(MODEL, { intraOpThreads: 1 }),
  ]);
  client = new InferenceClient(service.grpc!.address);
});
afterAll(async () => {
  client?.close();
  await service?.close();
  await library?.close();
});

describe('gRPC inference.GRPCInferenceService on an exported encoder', () => {
  it('answers health, server and model metadata, model config and the repository index', async () => {
    expect(service.grpc!.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await client.call('ServerLive', {})).toEqual({ live: true });
    expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: NAME })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: NAME, version: '1' })).toEqual({ ready: true });
    expect(await client.call('ServerMetadata', {})).toMatchObject({ name: 'entropy-sc' });
    // The same description as the REST form's GET /v2/models/{name}.
    const rest = (await (await fetch(`${service.url}/v2/models/${NAME}`)).json()) as Record<string, unknown>;
    expect(await client.call('ModelMetadata', { name: NAME, version: '' })).toEqual(rest);
    const { config } = (await client.call('ModelConfig', { name: NAME })) as { config: Record<string, unknown> };
    expect(config).toMatchObject({
      name: NAME,
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 16384,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [16] }],
      dynamic_batching: { preferred_batch_size: [1024], max_queue_delay_microseconds: 1000 },
      instance_group: [{ kind: 'KIND_CPU', count: 2 }],
    });
    const outputs = config.output as { name: string; dims: number[]; reshape: { shape: number[] } | null }[];
    expect(outputs.map((o) => [o.name, o.dims])).toEqual([
      ['mean', [8]],
      ['variance', [8]],
      ['elbo', [1]],
      ['reconstruction', [16]],
      ['cov_factor', [8, 2]],
      ['cov_diag', [8]],
      ['covariance', [8, 8]],
    ]);
    expect(outputs[2]!.reshape).toEqual({ shape: [] });
    expect(await client.call('RepositoryIndex', { ready: true })).toEqual({
      models: [{ name: NAME, version: '1', state: 'READY', reason: '' }],
    });
  });

  it('answers ModelInfer with raw_output_contents, one buffer per output in the order asked, equal to the library and /v1/encode', async () => {
    const x = rows(13, 1);
    const expected = await library.encode(x, 13);
    const all = await client.call('ModelInfer', inferRequest(NAME, x, 13, D, { id: 'req-7' }));
    expect(all).toMatchObject({ model_name: NAME, model_version: '1', id: 'req-7' });
    const outputs = inferOutputs(all);
    expect(Object.keys(outputs)).toEqual(library.outputs);
    for (const name of library.outputs) {
      expect(outputs[name]!.shape, name).toEqual(expected[name]!.shape);
      expectSame(outputs[name]!.data, expected[name]!, name);
    }
    const some = await client.call(
      'ModelInfer',
      inferRequest(NAME, x, 13, D, { outputs: ['elbo', 'cov_factor', 'elbo'] }),
    );
    expect((some.outputs as { name: string }[]).map((o) => o.name)).toEqual(['elbo', 'cov_factor']);
    expect(some.raw_output_contents as Buffer[]).toHaveLength(2);
    expect((some.raw_output_contents as Buffer[])[1]!.length).toBe(13 * 8 * 2 * 4);

    const data = Array.from({ length: 13 }, (_, i) => Array.from(x.subarray(i * D, (i + 1) * D)));
    const http = (await post(`${service.url}/v1/encode?outputs=mean,elbo`, JSON.stringify({ data }))).json();
    const grpc = inferOutputs(
      await client.call('ModelInfer', inferRequest(NAME, x, 13, D, { outputs: ['mean', 'elbo'] })),
    );
    expect(Array.from(grpc.mean!.data)).toEqual((http.mean as number[][]).flat());
    expect(Array.from(grpc.elbo!.data)).toEqual(http.elbo);
  });

  it('answers typed contents with typed contents', async () => {
    const x = rows(5, 2);
    const expected = await library.encode(x, 5, ['mean', 'covariance']);
    const response = await client.call(
      'ModelInfer',
      inferRequest(NAME, x, 5, D, { typed: true, outputs: ['covariance', 'mean'] }),
    );
    expect(response.raw_output_contents).toEqual([]);
    const outputs = inferOutputs(response);
    expect(Object.keys(outputs)).toEqual(['covariance', 'mean']);
    expect(outputs.covariance!.shape).toEqual([5, 8, 8]);
    expectSame(outputs.covariance!.data, expected.covariance!, 'covariance');
    expectSame(outputs.mean!.data, expected.mean!, 'mean');
  });

  it('gives each of many concurrent calls (batched together) exactly its own rows', async () => {
    const sizes = Array.from({ length: 32 }, (_, i) => 1 + ((i * 11) % 19));
    const inputs = sizes.map((n, i) => rows(n, 200 + i));
    const answers = await Promise.all(
      inputs.map((x, i) =>
        client.call('ModelInfer', inferRequest(NAME, x, sizes[i]!, D, { outputs: ['mean'], id: String(i) })),
      ),
    );
    for (const [i, answer] of answers.entries()) {
      expect(answer.id).toBe(String(i));
      const expected = await library.encode(inputs[i]!, sizes[i]!, ['mean']);
      const { mean } = inferOutputs(answer);
      expect(mean!.shape).toEqual([sizes[i], 8]);
      expectSame(mean!.data, expected.mean!, `call ${i} mean`);
    }
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^entropy_sc_grpc_request_duration_seconds_count\{method="ModelInfer",code="OK"\} (3[2-9]|[4-9]\d)$/m,
    );
    expect(Number(/^entropy_sc_batch_rows_count (\d+)$/m.exec(metrics)![1])).toBeGreaterThan(0);
  });

  it("keeps the published protocol's field numbers (wire bytes written by hand from grpc_service.proto)", () => {
    const { ModelInfer } = inferenceService() as Required<ReturnType<typeof inferenceService>>;
    // model_name = 1 ("m"), inputs = 5 { name = 1 "x", datatype = 2 "FP32", shape = 3 packed [2, 3] },
    // outputs = 6 { name = 1 "y" }, raw_input_contents = 7 (bytes 1 2)
    const wire = Buffer.from([
      0x0a, 1, 0x6d, 0x2a, 13, 0x0a, 1, 0x78, 0x12, 4, 0x46, 0x50, 0x33, 0x32, 0x1a, 2, 2, 3, 0x32, 3, 0x0a, 1, 0x79,
      0x3a, 2, 1, 2,
    ]);
    expect(ModelInfer.requestDeserialize(wire)).toMatchObject({
      model_name: 'm',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3] }],
      outputs: [{ name: 'y' }],
      raw_input_contents: [Buffer.from([1, 2])],
    });
    // model_name = 1, model_version = 2, id = 3, outputs = 5 { name = 1, datatype = 2, shape = 3 }, raw_output_contents = 6
    const answer = ModelInfer.responseSerialize({
      model_name: 'm',
      model_version: '1',
      id: 'i',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }],
      raw_output_contents: [Buffer.from([9])],
    });
    expect([...answer]).toEqual([
      0x0a, 1, 0x6d, 0x12, 1, 0x31, 0x1a, 1, 0x69, 0x2a, 12, 0x0a, 1, 0x79, 0x12, 4, 0x46, 0x50, 0x33, 0x32, 0x1a, 1, 1,
      0x32, 1, 9,
    ]);
  });

  it("writes ModelInferResponse's raw output contents as protobufjs's own writer does, for lengths of 1 to 3 varint bytes", () => {
    const { ModelInfer } = inferenceService() as Required<ReturnType<typeof inferenceService>>;
    const type = new protobuf.Root()
      .loadSync(fileURLToPath(new URL('../../service/grpc/grpc_service.proto', import.meta.url)), { keepCase: true })
      .lookupType('inference.ModelInferResponse');
    const sizes = [0, 1, 127, 128, 16_383, 16_384, 70_000];
    const message = {
      model_name: 'entropy-sc-lowrank-h100',
      model_version: '1',
      id: 'call-7',
      outputs: sizes.map((n, i) => ({ name: `o${i}`, datatype: 'FP32', shape: [n / 4, 1] })),
      raw_output_contents: sizes.map((n, i) => Buffer.alloc(n, i + 1)),
    };
    const expected = type.encode(type.fromObject(message)).finish();
    expect(Buffer.from(ModelInfer.responseSerialize(message)).equals(Buffer.from(expected))).toBe(true);
    // and typed contents (no raw buffers) unchanged
    const typed = {
      ...message,
      raw_output_contents: [],
      outputs: [{ name: 'mean', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [0.5, -2] } }],
    };
    expect(
      Buffer.from(ModelInfer.responseSerialize(typed)).equals(
        Buffer.from(type.encode(type.fromObject(typed)).finish()),
      ),
    ).toBe(true);
  });
});
