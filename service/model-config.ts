/**
 * What a served model is, in the two forms the Open Inference Protocol clients ask for, built from
 * the graph's tensors (as the workers report them) and the service's own batching, so neither can
 * drift from what is served: the KServe v2 model metadata, and Triton's JSON form of config.pbtxt
 * (`GET /v2/models/{name}/config`, what perf_analyzer reads). Transport-neutral: HTTP and gRPC both
 * answer from here.
 */
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { IMAGE_INPUT_NAME } from '@entropy-sc/graph/image-model-graph';
import type { LimitOptions } from './options.ts';
import type { ServedModel } from './repository/model-set.ts';

/** A tensor as the protocol describes it: KServe datatype, shape without the batch axis. */
export interface TensorSpec {
  name: string;
  datatype: 'FP32' | 'UINT8';
  /** without the batch axis; -1 for a variable size */
  shape: number[];
}

export function modelTensors(model: ServedModel): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const { info } = model;
  return {
    inputs: [
      model.kind === 'image'
        ? { name: IMAGE_INPUT_NAME, datatype: 'UINT8', shape: [-1, -1, -1] }
        : { name: INPUT_NAME, datatype: 'FP32', shape: [info.d] },
    ],
    outputs: info.outputs.map((name) => ({ name, datatype: 'FP32', shape: info.rowShapes[name]! })),
  };
}

/** KServe v2 model metadata (`GET /v2/models/{name}`): shapes with the batch axis as -1. */
export function modelMetadata(model: ServedModel) {
  const { inputs, outputs } = modelTensors(model);
  const withBatch = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: [-1, ...t.shape] });
  return {
    name: model.name,
    versions: [model.version],
    platform: 'onnxruntime_onnx',
    inputs: inputs.map(withBatch),
    outputs: outputs.map(withBatch),
  };
}

/** Most images in one OIP request to an image model (equal sizes, one run). */
export const IMAGES_PER_REQUEST = 16;

/** How the service runs a model, for the config's batching and instance fields. */
export interface ServingShape {
  limits: Pick<LimitOptions, 'maxBatchRows' | 'maxQueueDelayMs' | 'maxRowsPerRequest'>;
  /** workers per model */
  instances: number;
  /** onnxruntime's execution provider (cpu: KIND_CPU, else KIND_GPU) */
  provider: string;
}

/**
 * Triton's ModelConfig as JSON (proto field names, enums by name, integers as numbers, as Triton
 * answers it). max_batch_size is the largest request the service takes; the dynamic batcher's
 * preferred size and delay are the micro-batcher's. A batch-only tensor ([batch] → []) is dims [1]
 * reshaped to [], as in the config.pbtxt `export --triton` writes (Triton needs rank ≥ 1).
 */
export function tritonModelConfig(model: ServedModel, serving: ServingShape) {
  const { inputs, outputs } = modelTensors(model);
  const { maxQueueDelayMs } = serving.limits;
  const { maxBatchRows, maxRowsPerRequest } =
    model.kind === 'image' ? { maxBatchRows: 1, maxRowsPerRequest: IMAGES_PER_REQUEST } : serving.limits;
  const dims = (t: TensorSpec) =>
    t.shape.length > 0 ? { dims: t.shape } : { dims: [1], reshape: { shape: [] as number[] } };
  return {
    name: model.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: maxRowsPerRequest,
    input: inputs.map((t) => ({
      name: t.name,
      data_type: `TYPE_${t.datatype}`,
      format: 'FORMAT_NONE',
      ...dims(t),
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    })),
    output: outputs.map((t) => ({
      name: t.name,
      data_type: `TYPE_${t.datatype}`,
      ...dims(t),
      label_filename: '',
      is_shape_tensor: false,
    })),
    batch_input: [],
    batch_output: [],
    dynamic_batching: {
      preferred_batch_size: [Math.min(maxBatchRows, maxRowsPerRequest)],
      max_queue_delay_microseconds: Math.round(maxQueueDelayMs * 1000),
      preserve_ordering: false,
      priority_levels: 0,
      default_priority_level: 0,
      priority_queue_policy: {},
    },
    instance_group: [
      {
        name: model.name,
        kind: serving.provider === 'cpu' ? 'KIND_CPU' : 'KIND_GPU',
        count: serving.instances,
        gpus: [],
        secondary_devices: [],
        profile: [],
        passive: false,
        host_policy: '',
      },
    ],
    default_model_filename: 'model.onnx',
    cc_model_filenames: {},
    metric_tags: {},
    parameters: {},
    model_warmup: [],
  };
}
