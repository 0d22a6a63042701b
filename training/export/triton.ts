/**
 * An NVIDIA Triton model repository for an exported encoder (`export --triton REPO`):
 * REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx. The config's tensors are read from the
 * ONNX graph itself (names, data types, dims without the batch axis), so they cannot drift from the
 * file Triton loads; batching is Triton's dynamic batcher, the counterpart of `entropy-sc serve`'s.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '@entropy-sc/core/errors';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { decodeModel } from '@entropy-sc/inference/card';

const { onnx } = onnxProto;

export interface TritonOptions {
  /** the largest batch Triton forms (default 1024) */
  maxBatchSize?: number;
  /** how long Triton's dynamic batcher waits for more requests (default 100 µs) */
  maxQueueDelayMicroseconds?: number;
  /** model instances (default 1), placed by Triton on a GPU if it has one (KIND_AUTO) */
  instances?: number;
}

/** A graph input or output as Triton describes it. */
export interface TritonTensor {
  name: string;
  dataType: string;
  /** dims without the batch axis; [] for a tensor of the batch axis only */
  dims: number[];
}

/** ONNX TensorProto.DataType → Triton's TYPE_* (the types an encoder can have). */
const DATA_TYPES: Readonly<Record<number, string>> = Object.freeze({
  [onnx.TensorProto.DataType.FLOAT]: 'TYPE_FP32',
  [onnx.TensorProto.DataType.DOUBLE]: 'TYPE_FP64',
  [onnx.TensorProto.DataType.FLOAT16]: 'TYPE_FP16',
  [onnx.TensorProto.DataType.INT64]: 'TYPE_INT64',
  [onnx.TensorProto.DataType.INT32]: 'TYPE_INT32',
  [onnx.TensorProto.DataType.UINT8]: 'TYPE_UINT8',
});

/** Refuses a REPO that is not a folder (nor creatable as one) before `export` writes anything. */
export async function checkTritonRepository(repo: string): Promise<void> {
  const info = await stat(repo).catch(() => null);
  if (info && !info.isDirectory())
    throw new UserError(`--triton ${repo} is a file; give a folder for the model repository`);
  if (!info && !(await stat(dirname(resolve(repo))).catch(() => null))?.isDirectory())
    throw new UserError(`--triton ${repo}: its folder ${dirname(resolve(repo))} does not exist`);
}

/**
 * Writes the repository for the model `name` (the card's name).
 * @returns the two files written
 */
export async function writeTritonRepository(
  repo: string,
  name: string,
  modelBytes: Uint8Array,
  options: TritonOptions = {},
): Promise<{ config: string; model: string }> {
  const config = tritonConfig(name, modelBytes, options, join(repo, name, '1', 'model.onnx'));
  const folder = join(repo, name);
  try {
    await mkdir(join(folder, '1'), { recursive: true });
  } catch (error) {
    throw new UserError(
      `--triton ${repo}: cannot create ${join(folder, '1')} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const paths = { config: join(folder, 'config.pbtxt'), model: join(folder, '1', 'model.onnx') };
  await writeFileAtomic(paths.model, modelBytes);
  await writeFileAtomic(paths.config, config);
  return paths;
}

/** The config.pbtxt text (protobuf text format of Triton's ModelConfig). @param origin the model's name in errors */
function tritonConfig(name: string, modelBytes: Uint8Array, options: TritonOptions, origin: string): string {
  const { inputs, outputs } = graphTensors(modelBytes, origin);
  const tensor = (t: TritonTensor) =>
    [
      '  {',
      `    name: ${JSON.stringify(t.name)}`,
      `    data_type: ${t.dataType}`,
      // Triton needs rank ≥ 1: a batch-only tensor ([batch] → []) is dims [1] reshaped to [].
      t.dims.length > 0 ? `    dims: [ ${t.dims.join(', ')} ]` : '    dims: [ 1 ]\n    reshape: { shape: [ ] }',
      '  }',
    ].join('\n');
  return [
    `name: ${JSON.stringify(name)}`,
    'backend: "onnxruntime"',
    `max_batch_size: ${options.maxBatchSize ?? 1024}`,
    `input [\n${inputs.map(tensor).join(',\n')}\n]`,
    `output [\n${outputs.map(tensor).join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${options.maxQueueDelayMicroseconds ?? 100}\n}`,
    `instance_group [\n  {\n    count: ${options.instances ?? 1}\n    kind: KIND_AUTO\n  }\n]`,
    '',
  ].join('\n');
}

/** The graph's inputs (initializers excluded) and outputs, each with a symbolic batch axis first. */
function graphTensors(modelBytes: Uint8Array, origin: string): { inputs: TritonTensor[]; outputs: TritonTensor[] } {
  const graph = decodeModel(modelBytes, origin).graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const describe = (v: onnxProto.onnx.IValueInfoProto): TritonTensor => {
    const type = v.type?.tensorType;
    const dims = type?.shape?.dim ?? [];
    const dataType = DATA_TYPES[type?.elemType ?? -1];
    if (!dataType)
      throw new UserError(
        `ONNX tensor '${v.name}' has element type ${type?.elemType}, which the Triton export does not map`,
      );
    if (dims.length === 0 || !dims[0]!.dimParam)
      throw new UserError(`ONNX tensor '${v.name}' has no symbolic batch axis first, so Triton cannot batch it`);
    return { name: v.name ?? '', dataType, dims: dims.slice(1).map((d) => (d.dimParam ? -1 : Number(d.dimValue))) };
  };
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(describe),
    outputs: (graph.output ?? []).map(describe),
  };
}
