/**
 * ModelInfer's tensors: the request's input as rows (raw_input_contents or typed contents, checked
 * by the Open Inference Protocol's own input checks, service/oip/infer-request.ts) and the outputs
 * as the response's raw_output_contents, one buffer per output in the order asked, or as typed
 * contents where the client sent its input that way.
 */
import { INPUT_NAME, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { IMAGE_INPUT_NAME } from '@entropy-sc/graph/image-model-graph';
import { UserError } from '@entropy-sc/core/errors';
import { HttpError } from '../http-error.ts';
import type { ModelInfo, Outputs } from '../model-info.ts';
import { imageFromBytes, imageFromElements, imageInputShape } from '../oip/image-infer-request.ts';
import { inputShape, rowsFromBytes, rowsFromElements, theInputIndex } from '../oip/infer-request.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { selectOutputs } from '../outputs.ts';
import type { Rows } from '../request-rows.ts';

const NAME = 'ModelInfer request';

/** The fields of a decoded ModelInferRequest the server reads. */
export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: { name: string; datatype: string; shape: number[]; contents: TensorContents | null }[];
  outputs: { name: string }[];
  raw_input_contents: Buffer[];
}

type TensorContents = Record<string, unknown[]>;

export interface GrpcInfer extends Rows {
  id: string;
  /** in the order asked, each once */
  outputs: OutputName[];
  /** answer as typed contents (the input came so), else as raw_output_contents */
  typed: boolean;
}

export function parseModelInfer(request: ModelInferRequest, info: ModelInfo, maxRows: number): GrpcInfer {
  const index = theInputIndex(
    request.inputs.map((input) => input.name),
    info,
    NAME,
  );
  const input = request.inputs[index]!;
  const where = `${NAME} input '${INPUT_NAME}'`;
  const shape = inputShape(input.datatype, input.shape, info, maxRows, where);
  const raw = request.raw_input_contents;
  const typed = raw.length === 0;
  let rows: Rows;
  if (!typed) {
    if (raw.length !== request.inputs.length)
      throw new UserError(
        `${NAME}: raw_input_contents has ${raw.length} buffers for ${request.inputs.length} inputs (one per input, in order)`,
      );
    if (hasContents(input.contents))
      throw new UserError(`${where}: give its data either in raw_input_contents or in contents, not both`);
    rows = rowsFromBytes(raw[index]!, shape, where, `raw_input_contents[${index}]`);
  } else {
    const contents = input.contents;
    const fp32 = contents?.fp32_contents ?? [];
    if (fp32.length === 0 && shape.count > 0)
      throw new UserError(
        hasContents(contents)
          ? `${where}: datatype FP32 takes its data in contents.fp32_contents`
          : `${where}: no data (give raw_input_contents, or contents.fp32_contents)`,
      );
    rows = rowsFromElements(fp32, shape, where, 'contents.fp32_contents');
  }
  return { ...rows, id: request.id, outputs: requestedOutputs(request.outputs, info), typed };
}

/** A ModelInfer request to an image model: its images, UINT8 [count, height, width, channels]. */
export interface GrpcImageInfer extends Omit<GrpcInfer, 'x' | 'rows'> {
  data: Uint8Array;
  shape: [number, number, number, number];
}

export function parseImageModelInfer(
  request: ModelInferRequest,
  model: ServedModel,
  maxWindows: number,
): GrpcImageInfer {
  const names = request.inputs.map((input) => input.name);
  if (names.length !== 1 || names[0] !== IMAGE_INPUT_NAME)
    throw new UserError(
      `${NAME}: image model '${model.name}' has one input, '${IMAGE_INPUT_NAME}' (UINT8 [N, height, width, channels])`,
    );
  const input = request.inputs[0]!;
  const where = `${NAME} input '${IMAGE_INPUT_NAME}'`;
  const shape = imageInputShape(input.datatype, input.shape, model, maxWindows, where);
  const raw = request.raw_input_contents;
  const typed = raw.length === 0;
  let data: Uint8Array;
  if (!typed) {
    if (raw.length !== 1)
      throw new UserError(`${NAME}: raw_input_contents has ${raw.length} buffers for 1 input (one per input)`);
    if (hasContents(input.contents))
      throw new UserError(`${where}: give its data either in raw_input_contents or in contents, not both`);
    data = imageFromBytes(raw[0]!, shape, where, 'raw_input_contents[0]');
  } else {
    // UINT8 travels as uint_contents in the protocol's typed contents.
    const values = input.contents?.uint_contents ?? [];
    if (values.length === 0)
      throw new UserError(`${where}: no data (give raw_input_contents, or contents.uint_contents)`);
    data = imageFromElements(values, shape, where, 'contents.uint_contents');
  }
  return { id: request.id, outputs: requestedOutputs(request.outputs, model.info), typed, data, shape: shape.dims };
}

function hasContents(contents: TensorContents | null): boolean {
  return contents !== null && Object.values(contents).some((values) => values.length > 0);
}

function requestedOutputs(asked: readonly { name: string }[], info: ModelInfo): OutputName[] {
  if (asked.length === 0) return [...info.outputs];
  const names = asked.map((o) => o.name);
  const offered = info.outputs as readonly string[];
  const unknown = names.find((name) => name !== '' && !offered.includes(name));
  if (unknown !== undefined)
    throw new HttpError(
      404,
      `${NAME}: unknown output '${unknown.slice(0, 64)}' (model '${info.card.name}' offers ${info.outputs.join(', ')})`,
    );
  selectOutputs(names, info, `${NAME} outputs`);
  return [...new Set(names)] as OutputName[];
}

/** The ModelInferResponse for a request's outputs. */
export function modelInferResponse(
  model: ServedModel,
  request: Pick<GrpcInfer, 'id' | 'outputs' | 'typed'>,
  outputs: Outputs,
): object {
  const tensors = request.outputs.map((name) => ({ name, tensor: outputs[name]! }));
  const heads = tensors.map(({ name, tensor }) => ({ name, datatype: 'FP32', shape: tensor.shape }));
  const common = { model_name: model.name, model_version: model.version, id: request.id };
  if (request.typed)
    return {
      ...common,
      outputs: heads.map((head, i) => ({ ...head, contents: { fp32_contents: Array.from(tensors[i]!.tensor.data) } })),
    };
  return {
    ...common,
    outputs: heads,
    raw_output_contents: tensors.map(({ tensor: { data } }) =>
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ),
  };
}
