/**
 * `serve --models REPO` on what `export --triton` writes: every model of the repository served under
 * its folder's name at its highest version, `?model=` on /v1, the OIP per model, Triton's repository
 * index and model configuration (checked against the graphs, decoded here), and per-model metrics
 * (the ELBO histogram against the ELBO values the service answered).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type EncoderModel } from '@entropy-sc/inference/model';
import { scanRepository } from '../../service/repository/model-sources.ts';
import { startService, type RunningService } from '../../service/serve.ts';
import { writeTritonRepository } from '../../training/export/triton.ts';
import { post } from './fake-service.ts';
import { infer } from './oip-client.ts';

const MODEL = new URL('./fixtures/tiny-lowrank.onnx', import.meta.url).pathname;
const D = 16;

let repo: string;
let service: RunningService;
let library: EncoderModel;

function rows(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * D }, (_, i) => 1.5 * Math.cos(seed * 31 + i * 0.29));
}
const json = (x: Float32Array, n: number) =>
  JSON.stringify({ data: Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * D, (i + 1) * D))) });

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'entropy-sc-repo-'));
  const bytes = new Uint8Array(readFileSync(MODEL));
  await writeTritonRepository(repo, 'tiny-lowrank', bytes);
  await writeTritonRepository(repo, 'tiny-copy', bytes);
  // Version 3 of tiny-lowrank is the one served; version 1 is made unloadable to prove it is not loaded.
  mkdirSync(join(repo, 'tiny-lowrank', '3'));
  copyFileSync(join(repo, 'tiny-lowrank', '1', 'model.onnx'), join(repo, 'tiny-lowrank', '3', 'model.onnx'));
  writeFileSync(join(repo, 'tiny-lowrank', '1', 'model.onnx'), 'not a model');
  [service, library] = await Promise.all([
    startService({
      models: await scanRepository(repo),
      port: 0,
      pool: { workers: 1, threadsPerWorker: 1 },
      limits: { maxRowsPerRequest: 512, maxBatchRows: 256, maxQueueDelayMs: 2 },
    }),
    loadModel(MODEL, { intraOpThreads: 1 }),
  ]);
});
afterAll(async () => {
  await service?.close();
  await library?.close();
});

describe('a Triton-layout model repository', () => {
  it('is read as Triton reads it: folders are models, the highest version is served', async () => {
    expect(await scanRepository(repo)).toEqual([
      { name: 'tiny-copy', version: '1', path: join(repo, 'tiny-copy', '1', 'model.onnx') },
      { name: 'tiny-lowrank', version: '3', path: join(repo, 'tiny-lowrank', '3', 'model.onnx') },
    ]);
    const bad = mkdtempSync(join(tmpdir(), 'entropy-sc-bad-repo-'));
    await expect(scanRepository(join(bad, 'none'))).rejects.toThrow(/--models .*: no such folder/);
    await expect(scanRepository(bad)).rejects.toThrow(/no model folders/);
    mkdirSync(join(bad, 'm', '2'), { recursive: true });
    await expect(scanRepository(bad)).rejects.toThrow(/m has no config.pbtxt/);
    writeFileSync(join(bad, 'm', 'config.pbtxt'), 'name: "m"');
    await expect(scanRepository(bad)).rejects.toThrow(/highest version of 'm', .*2, has no model.onnx/);
  });

  it('lists every model in the repository index, ready', async () => {
    const expected = [
      { name: 'tiny-copy', version: '1', state: 'READY', reason: '' },
      { name: 'tiny-lowrank', version: '3', state: 'READY', reason: '' },
    ];
    for (const body of ['', '{}', '{"ready": true}', '{"ready": false}']) {
      const r = await post(`${service.url}/v2/repository/index`, body);
      expect(r.status, body).toBe(200);
      expect(r.json(), body).toEqual(expected);
    }
    const bad = await post(`${service.url}/v2/repository/index`, '{"ready": "yes"}');
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: 'repository index request: "ready" must be true or false' });
  });

  it("answers each model's config as Triton's JSON, with the graph's tensors", async () => {
    // The graph, decoded here: FLOAT is ONNX type 1, TYPE_FP32 in Triton; dims without the batch axis.
    const graph = onnxProto.onnx.ModelProto.decode(readFileSync(MODEL)).graph!;
    const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
    const tensors = (values: onnxProto.onnx.IValueInfoProto[]) =>
      values
        .filter((v) => !initializers.has(v.name!))
        .map((v) => {
          expect(v.type!.tensorType!.elemType).toBe(1);
          const dims = v.type!.tensorType!.shape!.dim!.slice(1).map((d) => Number(d.dimValue));
          return dims.length > 0
            ? { name: v.name, data_type: 'TYPE_FP32', dims }
            : { name: v.name, data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } };
        });
    for (const url of ['tiny-lowrank/config', 'tiny-lowrank/versions/3/config', 'tiny-copy/config']) {
      const r = await fetch(`${service.url}/v2/models/${url}`);
      expect(r.status, url).toBe(200);
      const config = (await r.json()) as Record<string, unknown> & {
        input: Record<string, unknown>[];
        output: Record<string, unknown>[];
      };
      expect(config).toMatchObject({
        name: url.split('/')[0],
        platform: 'onnxruntime_onnx',
        backend: 'onnxruntime',
        max_batch_size: 512,
        dynamic_batching: { preferred_batch_size: [256], max_queue_delay_microseconds: 2000 },
        instance_group: [{ kind: 'KIND_CPU', count: 1 }],
      });
      const pick = ({ name, data_type, dims, reshape }: Record<string, unknown>) => ({
        name,
        data_type,
        dims,
        ...(reshape !== undefined && { reshape }),
      });
      expect(config.input.map(pick)).toEqual(tensors(graph.input!));
      expect(config.output.map(pick)).toEqual(tensors(graph.output!));
    }
    for (const url of ['tiny-lowrank/versions/1/config', 'nope/config']) {
      const r = await fetch(`${service.url}/v2/models/${url}`);
      expect(r.status, url).toBe(404);
      expect(Object.keys((await r.json()) as object)).toEqual(['error']);
    }
  });

  it('encodes with the model named by ?model= (/v1) or the URL (OIP), equal to the library', async () => {
    const x = rows(11, 1);
    const expected = await library.encode(x, 11, ['mean', 'elbo']);
    const none = await post(`${service.url}/v1/encode`, json(x, 11));
    expect(none.status).toBe(400);
    expect(none.json().error).toBe(
      "this server serves several models ('tiny-copy', 'tiny-lowrank'): name one with ?model=NAME",
    );
    const unknown = await post(`${service.url}/v1/encode?model=nope`, json(x, 11));
    expect(unknown.status).toBe(404);
    for (const name of ['tiny-copy', 'tiny-lowrank']) {
      const r = await post(`${service.url}/v1/encode?model=${name}&outputs=mean,elbo`, json(x, 11));
      expect(r.status, name).toBe(200);
      const body = r.json() as { mean: number[][]; elbo: number[] };
      expect(body.elbo.map((v, i) => Math.abs(v - expected.elbo!.data[i]!) < 1e-5 * (1 + Math.abs(v)))).not.toContain(
        false,
      );
      expect(body.mean.flat().length).toBe(11 * 8);
      const card = (await (await fetch(`${service.url}/v1/model?model=${name}`)).json()) as { d: number };
      expect(card.d).toBe(D);
      const oip = await infer(service.url, name, x, 11, D, { binaryInput: true, outputs: [{ name: 'elbo' }] });
      expect(oip.status).toBe(200);
      expect(oip.json).toMatchObject({ model_name: name, model_version: name === 'tiny-lowrank' ? '3' : '1' });
      for (let i = 0; i < 11; i++) expect(oip.outputs.elbo!.data[i]).toBeCloseTo(expected.elbo!.data[i]!, 4);
    }
    expect((await fetch(`${service.url}/v2/models/tiny-lowrank/versions/3`)).status).toBe(200);
    expect((await fetch(`${service.url}/v2/models/tiny-lowrank/versions/1`)).status).toBe(404);
  });

  it("shows each model's ELBO distribution and rows in /metrics, labelled by served names only", async () => {
    const before = await metricsOf(service.url);
    const x = rows(40, 7);
    const answer = (await post(`${service.url}/v1/encode?model=tiny-copy&outputs=elbo`, json(x, 40))).json() as {
      elbo: number[];
    };
    await post(`${service.url}/v1/encode?model=tiny-lowrank&outputs=mean`, json(x, 5));
    await post(`${service.url}/v1/encode?model=evil%22label`, json(x, 5));
    const after = await metricsOf(service.url);
    const delta = (series: string) => (after.get(series) ?? NaN) - (before.get(series) ?? 0);
    expect(delta('entropy_sc_model_rows_encoded_total{model="tiny-copy"}')).toBe(40);
    expect(delta('entropy_sc_model_rows_encoded_total{model="tiny-lowrank"}')).toBe(5);
    expect(delta('entropy_sc_model_row_elbo_count{model="tiny-copy"}')).toBe(40);
    // A batch that did not compute ℓ_n (mean only) is not observed.
    expect(delta('entropy_sc_model_row_elbo_count{model="tiny-lowrank"}')).toBe(0);
    const sum = answer.elbo.reduce((a, b) => a + b, 0);
    expect(delta('entropy_sc_model_row_elbo_sum{model="tiny-copy"}')).toBeCloseTo(sum, 2);
    // Cumulative buckets: as many at or below 0 as the answer has.
    expect(delta('entropy_sc_model_row_elbo_bucket{le="0",model="tiny-copy"}')).toBe(
      answer.elbo.filter((v) => v <= 0).length,
    );
    const labels = new Set([...after.keys()].flatMap((k) => [...k.matchAll(/model="([^"]*)"/g)].map((m) => m[1])));
    expect([...labels].sort()).toEqual(['tiny-copy', 'tiny-lowrank']);
  });
});

/** Prometheus text → value per series (name with its labels). */
async function metricsOf(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(entropy_sc_model_\S+) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}
