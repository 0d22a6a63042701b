/**
 * An Open Inference Protocol (KServe v2) inference request: the JSON object, optionally followed by
 * binary tensor data (the binary tensor data extension: `Inference-Header-Content-Length` gives the
 * JSON's length, an input's `binary_data_size` its bytes after it). Validated once, here.
 */
import { UserError } from '@entropy-sc/core/errors';
import { INPUT_NAME, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { checkFinite, checkRows } from '@entropy-sc/core/validate/arrays';
import type { ModelInfo } from '../model-info.ts';
import { selectOutputs } from '../outputs.ts';
import { checkShape, parseJson, type Rows } from '../request-rows.ts';

export const HEADER_LENGTH = 'inference-header-content-length';

export interface InferRequest extends Rows {
  id?: string;
  /** the outputs to answer, in the order asked, each as binary data or JSON */
  outputs: { name: OutputName; binary: boolean }[];
}

const NAME = 'inference request';

/**
 * @param body the whole HTTP body
 * @param headerLength the Inference-Header-Content-Length header, if sent
 */
export function parseInferRequest(
  body: Buffer,
  headerLength: string | undefined,
  info: ModelInfo,
  maxRows: number,
): InferRequest {
  let jsonLength = body.length;
  if (headerLength !== undefined) {
    jsonLength = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || jsonLength > body.length)
      throw new UserError(
        `Inference-Header-Content-Length '${headerLength.slice(0, 32)}' is not a byte count within the body of ${body.length} bytes`,
      );
  }
  const request = parseJson(body.subarray(0, jsonLength), NAME);
  const binary = body.subarray(jsonLength);
  if (!isObject(request)) throw new UserError(`${NAME}: expected a JSON object with "inputs"`);
  if (request.id !== undefined && typeof request.id !== 'string') throw new UserError(`${NAME}: "id" must be a string`);
  const input = theInput(request.inputs, info);
  const rows = inputRows(input, binary, info, maxRows);
  return { ...rows, id: request.id as string | undefined, outputs: requestedOutputs(request, info) };
}

function theInput(inputs: unknown, info: ModelInfo): Record<string, unknown> {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new UserError(`${NAME}: "inputs" must be a non-empty array of tensors`);
  for (const input of inputs) {
    if (!isObject(input) || typeof input.name !== 'string') throw new UserError(`${NAME}: every input needs a "name"`);
    if (input.name !== INPUT_NAME)
      throw new UserError(
        `${NAME}: unknown input '${input.name.slice(0, 64)}' (model '${info.card.name}' has one input, '${INPUT_NAME}')`,
      );
  }
  if (inputs.length > 1) throw new UserError(`${NAME}: input '${INPUT_NAME}' is given ${inputs.length} times`);
  return inputs[0] as Record<string, unknown>;
}

function inputRows(input: Record<string, unknown>, binary: Buffer, info: ModelInfo, maxRows: number): Rows {
  const where = `${NAME} input '${INPUT_NAME}'`;
  if (input.datatype !== 'FP32')
    throw new UserError(`${where}: datatype ${JSON.stringify(input.datatype)?.slice(0, 32)}, the model takes FP32`);
  const shape = input.shape;
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0))
    throw new UserError(`${where}: "shape" must be an array of non-negative integers, e.g. [N, ${info.d}]`);
  const [rows, d] = checkRows(shape as number[], where);
  checkShape(rows, d, info, maxRows, where);
  const count = rows * d;
  const parameters = isObject(input.parameters) ? input.parameters : {};
  let x: Float32Array;
  if (parameters.binary_data_size !== undefined) {
    const size = parameters.binary_data_size;
    if (size !== count * 4)
      throw new UserError(
        `${where}: binary_data_size ${JSON.stringify(size)} is not ${count * 4} bytes (shape [${rows}, ${d}] of FP32)`,
      );
    if (binary.length !== size)
      throw new UserError(
        `${where}: binary_data_size is ${size} bytes but ${binary.length} bytes follow the JSON header`,
      );
    // A copy: the body's bytes need not be 4-byte aligned.
    x = new Float32Array(count);
    new Uint8Array(x.buffer).set(binary);
    checkFinite(x, where, [rows, d]);
  } else {
    if (binary.length > 0)
      throw new UserError(`${NAME}: ${binary.length} bytes follow the JSON header but no input has binary_data_size`);
    if (!Array.isArray(input.data))
      throw new UserError(`${where}: "data" is missing (or give binary_data_size and the bytes after the JSON)`);
    const flat = (input.data as unknown[]).flat(Infinity);
    if (flat.length !== count)
      throw new UserError(`${where}: "data" has ${flat.length} elements, shape [${rows}, ${d}] needs ${count}`);
    for (let i = 0; i < count; i++)
      if (typeof flat[i] !== 'number')
        throw new UserError(`${where}: data element ${i} is ${JSON.stringify(flat[i])?.slice(0, 40)}, not a number`);
    checkFinite(flat as number[], where, [rows, d]);
    x = Float32Array.from(flat as number[]);
  }
  return { x, rows };
}

export function requestedOutputs(request: Record<string, unknown>, info: ModelInfo): InferRequest['outputs'] {
  const parameters = isObject(request.parameters) ? request.parameters : {};
  const binaryDefault = parameters.binary_data_output === true;
  if (request.outputs === undefined) return info.outputs.map((name) => ({ name, binary: binaryDefault }));
  if (!Array.isArray(request.outputs) || !request.outputs.every((o) => isObject(o) && typeof o.name === 'string'))
    throw new UserError(`${NAME}: "outputs" must be an array of {"name": ...}`);
  const asked = request.outputs as { name: string; parameters?: unknown }[];
  selectOutputs(
    asked.map((o) => o.name),
    info,
    `${NAME} "outputs"`,
  );
  const seen = new Set<string>();
  return asked
    .filter((o) => !seen.has(o.name) && seen.add(o.name))
    .map((o) => ({
      name: o.name as OutputName,
      binary:
        isObject(o.parameters) && typeof o.parameters.binary_data === 'boolean'
          ? o.parameters.binary_data
          : binaryDefault,
    }));
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
