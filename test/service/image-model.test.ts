/**
 * Image models (export --image) in the service: `serve --models` on a repository holding a patch
 * model and its image model (as `export --triton` writes them); the image model's OIP metadata and
 * config with its uint8 input, against its graph; OIP infer with UINT8 tensors (JSON and binary) and
 * /v1/encode-image through its graph equal to the library's image model, and to the patch model's
 * way within float32 rounding; bad image tensors are 4xx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImagePixels, type ImagePixels } from '@entropy-sc/core/data/image-file';
import { parseNpyBytes } from '@entropy-sc/core/npy/read';
import { modelCardOf } from '@entropy-sc/inference/card';
import { buildImageModel } from '@entropy-sc/inference/image-model-build';
import type { OnnxImageModel } from '@entropy-sc/inference/image-model';
import { loadModel } from '@entropy-sc/inference/model';
import { scanRepository } from '../../service/repository/model-sources.ts';
import { startService, type RunningService } from '../../service/serve.ts';
import { writeTritonRepository } from '../../training/export/triton.ts';
import { encodePng } from '../core/png-writer.ts';
import { tempDir } from '../helpers/cli.ts';
import { imageCardPatchModel } from '../helpers/image-card-model.ts';
import { post } from './fake-service.ts';
import { InferenceClient, inferOutputs } from './grpc-client.ts';
import { parseInferResponse } from './oip-client.ts';

const dir = tempDir('entropy-sc-image-model-');
const repo = join(dir, 'repo');
const IMAGE = 'tiny-lowrank-image';
let service: RunningService;
let library: OnnxImageModel;
let imageBytes: Uint8Array;

/** Two 20×24 RGB images of smooth patterns with noise, as uint8 [2, 20, 24, 3]. */
const [W, H] = [24, 20];
const pixels = Uint8Array.from({ length: 2 * H * W * 3 }, (_, i) =>
  Math.round(127 + 100 * Math.sin(i * 0.013) * Math.cos(i * 0.0071) + 20 * Math.sin(i * 7.3)),
);
const asImages = (): ImagePixels[] =>
  [0, 1].map((b) => ({
    name: `b${b}`,
    width: W,
    height: H,
    channels: 3,
    data: pixels.subarray(b * H * W * 3, (b + 1) * H * W * 3),
  }));

beforeAll(async () => {
  const patch = imageCardPatchModel();
  const proto = onnxProto.onnx.ModelProto.decode(patch);
  const image = buildImageModel(proto, modelCardOf(proto, 'fixture'));
  imageBytes = image.bytes;
  await writeTritonRepository(repo, 'tiny-lowrank', patch);
  await writeTritonRepository(repo, IMAGE, image.bytes, { maxBatchSize: 16 });
  [service, library] = await Promise.all([
    startService({
      models: await scanRepository(repo),
      port: 0,
      grpcPort: 0,
      pool: { workers: 1, threadsPerWorker: 1 },
    }),
    loadModel(join(repo, IMAGE, '1', 'model.onnx'), { intraOpThreads: 1 }) as Promise<OnnxImageModel>,
  ]);
});
afterAll(async () => {
  await service?.close();
  await library?.close();
});

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 1e-5) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++)
    if (Math.abs(actual[i]! - expected[i]!) > tolerance * (1 + Math.abs(expected[i]!)))
      expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

describe('an image model in the service', () => {
  it('is listed and described with its uint8 input, as its graph says', async () => {
    const index = (await post(`${service.url}/v2/repository/index`, '')).json() as unknown as { name: string }[];
    expect(index.map((m) => m.name)).toEqual(['tiny-lowrank', IMAGE]);
    const meta = (await (await fetch(`${service.url}/v2/models/${IMAGE}`)).json()) as Record<string, unknown>;
    expect(meta.inputs).toEqual([{ name: 'image', datatype: 'UINT8', shape: [-1, -1, -1, -1] }]);
    const graph = onnxProto.onnx.ModelProto.decode(imageBytes).graph!;
    const dims = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? -1 : Number(d.dimValue)));
    expect(meta.outputs).toEqual(graph.output!.map((v) => ({ name: v.name, datatype: 'FP32', shape: dims(v) })));
    const config = (await (await fetch(`${service.url}/v2/models/${IMAGE}/config`)).json()) as {
      input: { name: string; data_type: string; dims: number[] }[];
      output: { name: string; data_type: string; dims: number[] }[];
      max_batch_size: number;
    };
    expect(config.max_batch_size).toBe(16);
    expect(config.input.map(({ name, data_type, dims }) => ({ name, data_type, dims }))).toEqual([
      { name: 'image', data_type: 'TYPE_UINT8', dims: [-1, -1, -1] },
    ]);
    expect(config.output.map(({ name, data_type, dims }) => ({ name, data_type, dims }))).toEqual(
      graph.output!.map((v) => ({ name: v.name, data_type: 'TYPE_FP32', dims: dims(v).slice(1) })),
    );
  });

  it('answers OIP infer with UINT8 images (JSON and binary) as the library does', async () => {
    const expected = await library.encodeImages(asImages());
    const json = { inputs: [{ name: 'image', datatype: 'UINT8', shape: [2, H, W, 3], data: Array.from(pixels) }] };
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'image', datatype: 'UINT8', shape: [2, H, W, 3], parameters: { binary_data_size: pixels.length } },
        ],
        parameters: { binary_data_output: true },
      }),
    );
    const answers = [
      await post(`${service.url}/v2/models/${IMAGE}/infer`, JSON.stringify(json)),
      await post(
        `${service.url}/v2/models/${IMAGE}/infer`,
        Buffer.concat([header, pixels]),
        'application/octet-stream',
        {
          'inference-header-content-length': String(header.length),
        },
      ),
    ];
    for (const [k, r] of answers.entries()) {
      expect(r.status, `answer ${k}`).toBe(200);
      const { outputs } = parseInferResponse(r.status, r.headers, r.bytes);
      expect(Object.keys(outputs)).toEqual([...library.outputs]);
      for (const name of library.outputs) {
        const one = expected[0]!.outputs[name]!;
        expect(outputs[name]!.shape, name).toEqual([2, ...one.shape]);
        close(outputs[name]!.data, [...one.data, ...expected[1]!.outputs[name]!.data], `${name} (answer ${k})`);
      }
    }
  });

  it('answers gRPC ModelInfer with UINT8 images (raw and typed contents) as the library does', async () => {
    const expected = await library.encodeImages(asImages());
    const client = new InferenceClient(service.grpc!.address);
    try {
      const input = { name: 'image', datatype: 'UINT8', shape: [2, H, W, 3] };
      const requests = [
        { model_name: IMAGE, inputs: [input], raw_input_contents: [Buffer.from(pixels)] },
        { model_name: IMAGE, inputs: [{ ...input, contents: { uint_contents: Array.from(pixels) } }] },
      ];
      for (const [k, request] of requests.entries()) {
        const outputs = inferOutputs(await client.call('ModelInfer', request));
        expect(Object.keys(outputs), `request ${k}`).toEqual([...library.outputs]);
        for (const name of library.outputs) {
          const one = expected[0]!.outputs[name]!;
          expect(outputs[name]!.shape, name).toEqual([2, ...one.shape]);
          close(outputs[name]!.data, [...one.data, ...expected[1]!.outputs[name]!.data], `${name} (gRPC ${k})`);
        }
      }
      const wrong = await client.error('ModelInfer', {
        model_name: IMAGE,
        inputs: [{ ...input, datatype: 'FP32' }],
        raw_input_contents: [Buffer.from(pixels)],
      });
      expect(wrong.code).toBe(3); // INVALID_ARGUMENT
      expect(wrong.details).toContain('UINT8');
    } finally {
      client.close();
    }
  });

  it('encodes a PNG through its graph on /v1/encode-image, as the library and as the patch model do', async () => {
    const file = join(dir, 'img.png');
    writeFileSync(file, encodePng(W, H, 2, 8, pixels.subarray(0, H * W * 3)));
    const [expected] = await library.encodeImages([readImagePixels(file)]);
    const viaImage = await post(`${service.url}/v1/encode-image`, readFileSync(file), 'image/png');
    const viaPatch = await post(`${service.url}/v1/encode-image?model=tiny-lowrank`, readFileSync(file), 'image/png');
    for (const [which, r] of [
      ['image model', viaImage],
      ['patch model', viaPatch],
    ] as const) {
      expect(r.status, which).toBe(200);
      const members = unzipSync(new Uint8Array(r.bytes));
      for (const name of ['mean', 'elbo', 'reconstruction', 'whitened']) {
        const got = parseNpyBytes(members[`${name}.npy`]!, name);
        expect(got.shape, `${which} ${name}`).toEqual(expected!.outputs[name as 'mean']!.shape);
        // The patch model's way (TypeScript whitening in float64) agrees with the graph's to float32 rounding.
        close(
          got.data,
          expected!.outputs[name as 'mean']!.data,
          `${which} ${name}`,
          which === 'image model' ? 1e-5 : 1e-3,
        );
      }
    }
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    // 2 OIP answers and 2 gRPC answers × 2 images, and this one
    expect(metrics).toMatch(new RegExp(`^entropy_sc_model_images_encoded_total\\{model="${IMAGE}"\\} 9$`, 'm'));
  });

  it('refuses rows, wrong tensors and images it cannot encode with one JSON 4xx, and stays up', async () => {
    const rows = await post(`${service.url}/v1/encode?model=${IMAGE}`, '{"data": [[1]]}');
    expect(rows.status).toBe(400);
    expect(rows.json().error).toMatch(/is an image model: send it images/);
    const infer = (input: Record<string, unknown>) =>
      post(`${service.url}/v2/models/${IMAGE}/infer`, JSON.stringify({ inputs: [{ name: 'image', ...input }] }));
    const cases = [
      { input: { datatype: 'FP32', shape: [1, 4, 4, 1], data: new Array(16).fill(1) }, says: /takes UINT8/ },
      {
        input: { datatype: 'UINT8', shape: [1, 4, 4], data: new Array(16).fill(1) },
        says: /\[N, height, width, channels\]/,
      },
      { input: { datatype: 'UINT8', shape: [1, 3, 3, 1], data: new Array(9).fill(1) }, says: /smaller than its 4×4/ },
      { input: { datatype: 'UINT8', shape: [1, 6, 6, 1], data: new Array(36).fill(9) }, says: /is constant/ },
      { input: { datatype: 'UINT8', shape: [1, 6, 6, 2], data: new Array(72).fill(9) }, says: /2 channels/ },
      { input: { datatype: 'UINT8', shape: [1, 6, 6, 1], data: new Array(36).fill(300) }, says: /not a UINT8/ },
    ];
    for (const c of cases) {
      const r = await infer(c.input);
      expect(r.status, JSON.stringify(c.input.shape)).toBe(400);
      expect(Object.keys(r.json())).toEqual(['error']);
      expect(r.json().error).toMatch(c.says);
    }
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
