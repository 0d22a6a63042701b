/**
 * `export --triton REPO`: the Triton model repository's config agrees with the ONNX graph it serves
 * (names, data types, dims without the batch axis), read back with a parser of protobuf's text
 * format written here, against the graph decoded here.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { modelCardOf } from '../../inference/card.ts';
import { buildImageModel } from '../../inference/image-model-build.ts';
import { writeTritonRepository } from '../../training/export/triton.ts';
import { imageCardPatchModel } from '../helpers/image-card-model.ts';

const MODEL = new URL('../service/fixtures/tiny-lowrank.onnx', import.meta.url).pathname;

type TextValue = string | number | TextMessage | TextValue[];
interface TextMessage {
  [field: string]: TextValue[];
}

/** Protobuf text format, the subset config.pbtxt uses: fields `name: value`, `name { ... }`, lists `[ ... ]`. */
function parseTextFormat(text: string): TextMessage {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d+(?:\.\d+)?|[{}[\]:,]/g) ?? [];
  let at = 0;
  const value = (): TextValue => {
    const token = tokens[at++]!;
    if (token === '{') return message('}');
    if (token === '[') {
      const list: TextValue[] = [];
      while (tokens[at] !== ']') {
        list.push(value());
        if (tokens[at] === ',') at++;
      }
      at++;
      return list;
    }
    if (token.startsWith('"')) return JSON.parse(token) as string;
    return /^-?\d/.test(token) ? Number(token) : token;
  };
  const message = (end?: string): TextMessage => {
    const fields: TextMessage = {};
    while (at < tokens.length && tokens[at] !== end) {
      const name = tokens[at++]!;
      if (tokens[at] === ':') at++;
      const v = value();
      // A list of messages is the repeated field's entries.
      (fields[name] ??= []).push(...(Array.isArray(v) && name !== 'dims' && name !== 'shape' ? v : [v]));
    }
    at++;
    return fields;
  };
  return message();
}

describe('the Triton model repository', () => {
  it("holds the model unchanged and a config whose tensors are the graph's", async () => {
    const bytes = new Uint8Array(readFileSync(MODEL));
    const repo = mkdtempSync(join(tmpdir(), 'entropy-sc-triton-'));
    const written = await writeTritonRepository(repo, 'tiny-lowrank', bytes, { maxBatchSize: 256 });
    expect(written).toEqual({
      config: join(repo, 'tiny-lowrank', 'config.pbtxt'),
      model: join(repo, 'tiny-lowrank', '1', 'model.onnx'),
    });
    expect(Buffer.compare(readFileSync(written.model), Buffer.from(bytes))).toBe(0);

    const config = parseTextFormat(readFileSync(written.config, 'utf8'));
    expect(config.name).toEqual(['tiny-lowrank']);
    expect(config.backend).toEqual(['onnxruntime']);
    expect(config.max_batch_size).toEqual([256]);
    expect(config.dynamic_batching).toHaveLength(1);
    expect((config.dynamic_batching![0] as TextMessage).max_queue_delay_microseconds).toEqual([100]);
    expect(config.instance_group).toEqual([{ count: [1], kind: ['KIND_AUTO'] }]);

    // The graph, decoded independently: FLOAT is 1; the first axis of every tensor is symbolic.
    const graph = onnxProto.onnx.ModelProto.decode(bytes).graph!;
    const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
    const fromGraph = (values: onnxProto.onnx.IValueInfoProto[] | null | undefined) =>
      (values ?? [])
        .filter((v) => !initializers.has(v.name!))
        .map((v) => {
          const dims = v.type!.tensorType!.shape!.dim!;
          expect(dims[0]!.dimParam, v.name!).toBeTruthy();
          expect(v.type!.tensorType!.elemType).toBe(1);
          return { name: v.name!, dims: dims.slice(1).map((d) => Number(d.dimValue)) };
        });
    const fromConfig = (entries: TextValue[]) =>
      entries.map((entry) => {
        const t = entry as TextMessage;
        expect(t.data_type, String(t.name)).toEqual(['TYPE_FP32']);
        const dims = t.dims![0] as number[];
        // Triton's rank ≥ 1 rule: a batch-only tensor is dims [1] reshaped to [].
        if (t.reshape) {
          expect(dims).toEqual([1]);
          return { name: t.name![0] as string, dims: (t.reshape[0] as TextMessage).shape![0] as number[] };
        }
        return { name: t.name![0] as string, dims };
      });
    expect(fromConfig(config.input!)).toEqual(fromGraph(graph.input));
    expect(fromConfig(config.output!)).toEqual(fromGraph(graph.output));
    expect(fromConfig(config.output!).map((t) => t.name)).toEqual([
      'mean',
      'variance',
      'elbo',
      'reconstruction',
      'cov_factor',
      'cov_diag',
      'covariance',
    ]);
    expect(fromConfig(config.output!).find((t) => t.name === 'elbo')!.dims).toEqual([]);
  });

  it('holds the image model: uint8 images of any height, width and channels, its config read from its graph', async () => {
    const patch = imageCardPatchModel();
    const image = buildImageModel(
      onnxProto.onnx.ModelProto.decode(patch),
      modelCardOf(onnxProto.onnx.ModelProto.decode(patch), 'fixture'),
    );
    const repo = mkdtempSync(join(tmpdir(), 'entropy-sc-triton-image-'));
    const written = await writeTritonRepository(repo, image.card.name, image.bytes, { maxBatchSize: 8 });
    expect(written.config).toBe(join(repo, 'tiny-lowrank-image', 'config.pbtxt'));
    const config = parseTextFormat(readFileSync(written.config, 'utf8'));
    expect(config.name).toEqual(['tiny-lowrank-image']);
    expect(config.dynamic_batching).toHaveLength(1);
    expect(config.input).toEqual([{ name: ['image'], data_type: ['TYPE_UINT8'], dims: [[-1, -1, -1]] }]);
    // outputs: the graph's, decoded here (symbolic axes are -1 in Triton)
    const graph = onnxProto.onnx.ModelProto.decode(image.bytes).graph!;
    const fromGraph = graph.output!.map((v) => ({
      name: [v.name],
      data_type: ['TYPE_FP32'],
      dims: [v.type!.tensorType!.shape!.dim!.slice(1).map((d) => (d.dimParam ? -1 : Number(d.dimValue)))],
    }));
    expect(config.output).toEqual(fromGraph);
    const dims = Object.fromEntries((config.output as TextMessage[]).map((t) => [t.name![0], t.dims![0]]));
    expect(dims).toMatchObject({ mean: [-1, -1, 8], elbo: [-1, -1], reconstruction: [-1, -1], whitened: [-1, -1] });
    expect(dims['cov_factor']).toEqual([-1, -1, 8, 2]);
  });
});
