/**
 * The service on a real exported encoder (onnxruntime in worker threads): JSON, .npy/.npz and OIP
 * requests (JSON and binary tensors) give the library's numbers, for every output, and concurrent
 * requests each get their own rows.
 */
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNpyHeader } from '@entropy-sc/core/npy/header';
import { parseNpyBytes } from '@entropy-sc/core/npy/read';
import { loadModel, type EncoderModel } from '@entropy-sc/inference/model';
import { startService, type RunningService } from '../../service/serve.ts';
import { D, expectSame, MODEL, NAME, rows } from './tiny-model.ts';
import { post } from './fake-service.ts';
import { infer } from './oip-client.ts';

let service: RunningService;
let library: EncoderModel;

const flat = (value: unknown): number[] => (Array.isArray(value) ? value.flat(Infinity) : [value]) as number[];

beforeAll(async () => {
  [service, library] = await Promise.all([
    startService({ modelPath: MODEL, port: 0, pool: { workers: 2, threadsPerWorker: 1 } }),
    loadModel(MODEL, { intraOpThreads: 1 }),
  ]);
});
afterAll(async () => {
  await service?.close();
  await library?.close();
});

describe('the service on an exported encoder', () => {
  it("describes the model: /v1/model is the card, /v2/models/{name} the tensors with the graph's shapes", async () => {
    const card = (await (await fetch(`${service.url}/v1/model`)).json()) as { name: string; d: number };
    expect(card).toEqual(JSON.parse(JSON.stringify(library.card)));
    const meta = (await (await fetch(`${service.url}/v2/models/${NAME}`)).json()) as Record<string, unknown>;
    expect(meta).toEqual({
      name: NAME,
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 16] }],
      outputs: [
        { name: 'mean', datatype: 'FP32', shape: [-1, 8] },
        { name: 'variance', datatype: 'FP32', shape: [-1, 8] },
        { name: 'elbo', datatype: 'FP32', shape: [-1] },
        { name: 'reconstruction', datatype: 'FP32', shape: [-1, 16] },
        { name: 'cov_factor', datatype: 'FP32', shape: [-1, 8, 2] },
        { name: 'cov_diag', datatype: 'FP32', shape: [-1, 8] },
        { name: 'covariance', datatype: 'FP32', shape: [-1, 8, 8] },
      ],
    });
    expect(await (await fetch(`${service.url}/v2`)).json()).toMatchObject({
      name: 'entropy-sc',
      extensions: ['binary_tensor_data'],
    });
    expect((await fetch(`${service.url}/v2/models/${NAME}/ready`)).status).toBe(200);
    expect((await fetch(`${service.url}/v2/health/ready`)).status).toBe(200);
  });

  it('answers JSON rows with every output, nested in its shape, equal to the library', async () => {
    const x = rows(37, 1);
    const expected = await library.encode(x, 37);
    const data = Array.from({ length: 37 }, (_, i) => Array.from(x.subarray(i * D, (i + 1) * D)));
    const r = await post(`${service.url}/v1/encode`, JSON.stringify({ data }));
    expect(r.status).toBe(200);
    const body = r.json();
    expect(Object.keys(body)).toEqual(library.outputs);
    for (const name of library.outputs) {
      const e = expected[name]!;
      let nestedShape: unknown = body[name];
      const shape: number[] = [];
      while (Array.isArray(nestedShape)) {
        shape.push(nestedShape.length);
        nestedShape = nestedShape[0];
      }
      expect(shape, name).toEqual(e.shape);
      expectSame(flat(body[name]), e, name);
    }
    const some = await post(`${service.url}/v1/encode`, JSON.stringify({ data, outputs: ['variance', 'mean'] }));
    expect(Object.keys(some.json())).toEqual(['mean', 'variance']);
  });

  it('answers .npy rows (float32 or float64) with an .npy for one output and an .npz for several', async () => {
    const x = rows(21, 2);
    const expected = await library.encode(x, 21);
    const one = await post(
      `${service.url}/v1/encode?outputs=cov_factor`,
      Buffer.concat([formatNpyHeader({ dtype: 'float32', shape: [21, D] }), Buffer.from(x.buffer)]),
      'application/x-npy',
    );
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/x-npy');
    const factor = parseNpyBytes(one.bytes, 'response');
    expect(factor.shape).toEqual([21, 8, 2]);
    expectSame(factor.data, expected.cov_factor!, 'cov_factor');

    const x64 = Float64Array.from(x);
    const several = await post(
      `${service.url}/v1/encode?outputs=mean,elbo`,
      Buffer.concat([formatNpyHeader({ dtype: 'float64', shape: [21, D] }), Buffer.from(x64.buffer)]),
      'application/x-npy',
    );
    expect(several.headers.get('content-type')).toBe('application/x-npz');
    const members = unzipSync(new Uint8Array(several.bytes));
    expect(Object.keys(members).sort()).toEqual(['elbo.npy', 'mean.npy']);
    const mean = parseNpyBytes(members['mean.npy']!, 'mean.npy');
    const elbo = parseNpyBytes(members['elbo.npy']!, 'elbo.npy');
    expect(mean.shape).toEqual([21, 8]);
    expect(elbo.shape).toEqual([21]);
    expectSame(mean.data, expected.mean!, 'mean');
    expectSame(elbo.data, expected.elbo!, 'elbo');
  });

  it('answers OIP requests with JSON tensors, binary tensors, or a mix, equal to the library', async () => {
    const x = rows(9, 3);
    const expected = await library.encode(x, 9);
    const json = await infer(service.url, NAME, x, 9, D, { id: 'req-42' });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ model_name: NAME, model_version: '1', id: 'req-42' });
    expect(Object.keys(json.outputs)).toEqual(library.outputs);
    for (const name of library.outputs) {
      expect(json.outputs[name]!.shape, name).toEqual(expected[name]!.shape);
      expect(json.outputs[name]!.binary).toBe(false);
      expectSame(json.outputs[name]!.data, expected[name]!, name);
    }
    const binary = await infer(service.url, NAME, x, 9, D, { binaryInput: true, binaryDataOutput: true });
    for (const name of library.outputs) {
      expect(binary.outputs[name]!.binary, name).toBe(true);
      expectSame(binary.outputs[name]!.data, expected[name]!, name);
    }
    const mixed = await infer(service.url, NAME, x, 9, D, {
      binaryInput: true,
      outputs: [{ name: 'elbo', binary: true }, { name: 'mean' }],
    });
    expect(Object.keys(mixed.outputs)).toEqual(['elbo', 'mean']);
    expect(mixed.outputs.elbo!.binary).toBe(true);
    expect(mixed.outputs.mean!.binary).toBe(false);
    expectSame(mixed.outputs.elbo!.data, expected.elbo!, 'elbo');
    expectSame(mixed.outputs.mean!.data, expected.mean!, 'mean');
  });

  it('reads binary rows after a JSON header of any length (the rows then lie at any offset of the body)', async () => {
    const x = rows(5, 11);
    const expected = await library.encode(x, 5, ['mean', 'elbo']);
    // Ids of 1 to 4 characters move the binary data through every offset modulo 4; sent one at a
    // time, each request is a batch of its own, whose rows go to the worker as a view of the body.
    for (const id of ['a', 'ab', 'abc', 'abcd']) {
      const answer = await infer(service.url, NAME, x, 5, D, {
        id,
        binaryInput: true,
        outputs: [{ name: 'mean', binary: true }, { name: 'elbo' }],
      });
      expect(answer.status, id).toBe(200);
      expectSame(answer.outputs.mean!.data, expected.mean!, `id ${id} mean`);
      expectSame(answer.outputs.elbo!.data, expected.elbo!, `id ${id} elbo`);
    }
  });

  it('gives each of many concurrent requests (batched together) exactly its own rows', async () => {
    const sizes = Array.from({ length: 24 }, (_, i) => 1 + ((i * 13) % 17));
    const inputs = sizes.map((n, i) => rows(n, 100 + i));
    const answers = await Promise.all(
      inputs.map((x, i) =>
        infer(service.url, NAME, x, sizes[i]!, D, { binaryInput: true, outputs: [{ name: 'mean', binary: true }] }),
      ),
    );
    for (const [i, answer] of answers.entries()) {
      const expected = await library.encode(inputs[i]!, sizes[i]!, ['mean']);
      expect(answer.outputs.mean!.shape).toEqual([sizes[i], 8]);
      expectSame(answer.outputs.mean!.data, expected.mean!, `request ${i} mean`);
    }
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const batches = Number(/^entropy_sc_batch_rows_count (\d+)$/m.exec(metrics)![1]);
    const rowsEncoded = Number(/^entropy_sc_rows_encoded_total (\d+)$/m.exec(metrics)![1]);
    expect(rowsEncoded).toBe(37 * 2 + 21 * 2 + 9 * 3 + 5 * 4 + sizes.reduce((a, b) => a + b, 0));
    // The 11 earlier requests took a batch each; the 24 concurrent ones took fewer batches than requests.
    expect(batches).toBeLessThan(11 + 24);
  });
});
