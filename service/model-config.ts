/**
 * What a served model's Triton ModelConfig is (Triton's ModelConfig extension, for any transport):
 * the tensors as `export --triton` writes them into config.pbtxt, and the server's own batching
 * settings. A plain object with the `.proto`'s field names, enums by name, as Triton's HTTP
 * endpoint answers it and as the gRPC ModelConfig RPC encodes it.
 */
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelInfo } from './model-info.ts';
import type { LimitOptions } from './options.ts';

interface TensorConfig {
  name: string;
  data_type: 'TYPE_FP32';
  dims: number[];
  /** a batch-only tensor: dims [1], reshaped to [] (Triton needs dims of rank ≥ 1) */
  reshape?: { shape: number[] };
}

export interface ModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  backend: 'onnxruntime';
  /** the most rows one request may carry */
  max_batch_size: number;
  input: TensorConfig[];
  output: TensorConfig[];
  dynamic_batching: { preferred_batch_size: number[]; max_queue_delay_microseconds: number };
  instance_group: { name: string; kind: 'KIND_CPU'; count: number }[];
}

/**
 * @param instances the encode workers serving the model
 */
export function modelConfig(info: ModelInfo, limits: LimitOptions, instances: number): ModelConfig {
  const tensor = (name: string, dims: readonly number[]): TensorConfig =>
    dims.length > 0
      ? { name, data_type: 'TYPE_FP32', dims: [...dims] }
      : { name, data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } };
  return {
    name: info.card.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: limits.maxRowsPerRequest,
    input: [tensor(INPUT_NAME, [info.d])],
    output: info.outputs.map((name) => tensor(name, info.rowShapes[name]!)),
    dynamic_batching: {
      preferred_batch_size: [limits.maxBatchRows],
      max_queue_delay_microseconds: Math.round(limits.maxQueueDelayMs * 1000),
    },
    instance_group: [{ name: info.card.name, kind: 'KIND_CPU', count: instances }],
  };
}
