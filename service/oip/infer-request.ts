/**
 * An Open Inference Protocol (KServe v2) inference request: the JSON object, optionally followed by
 * binary tensor data (the binary tensor data extension: `Inference-Header-Content-Length` gives the
 * JSON's length, an input's `binary_data_size` its bytes after it). Validated once, here: the input
 * tensor checks (theInputIndex, inputShape, rowsFromBytes, rowsFromElements) serve the gRPC form too.
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
  if (!inputs.every((input) => isObject(input) && typeof input.name === 'string'))
    throw new UserError(`${NAME}: every input needs a "name"`);
  return inputs[
    theInputIndex(
      inputs.map((input) => input.name as string),
      info,
      NAME,
    )
  ] as Record<string, unknown>;
}

/** The index of the model's one input among a request's input names (each must be it, once). */
export function theInputIndex(names: readonly string[], info: ModelInfo, name: string): number {
  if (names.length === 0)
    throw new UserError(`${name}: no input tensor (model '${info.card.name}' takes '${INPUT_NAME}')`);
  for (const given of names)
    if (given !== INPUT_NAME)
      throw new UserError(
        `${name}: unknown input '${given.slice(0, 64)}' (model '${info.card.name}' has one input, '${INPUT_NAME}')`,
      );
  if (names.length > 1) throw new UserError(`${name}: input '${INPUT_NAME}' is given ${names.length} times`);
  return 0;
}

function inputRows(input: Record<string, unknown>, binary: Buffer, info: ModelInfo, maxRows: number): Rows {
  const where = `${NAME} input '${INPUT_NAME}'`;
  const shape = inputShape(input.datatype, input.shape, info, maxRows, where);
  const parameters = isObject(input.parameters) ? input.parameters : {};
  if (parameters.binary_data_size !== undefined) {
    const size = parameters.binary_data_size;
    if (size !== shape.count * 4)
      throw new UserError(
        `${where}: binary_data_size ${JSON.stringify(size)} is not ${shape.count * 4} bytes (shape [${shape.rows}, ${shape.d}] of FP32)`,
      );
    if (binary.length !== size)
      throw new UserError(
        `${where}: binary_data_size is ${size} bytes but ${binary.length} bytes follow the JSON header`,
      );
    return rowsFromBytes(binary, shape, where, 'the binary data', true);
  }
  if (binary.length > 0)
    throw new UserError(`${NAME}: ${binary.length} bytes follow the JSON header but no input has binary_data_size`);
  if (!Array.isArray(input.data))
    throw new UserError(`${where}: "data" is missing (or give binary_data_size and the bytes after the JSON)`);
  // Nested at most as deep as the shape [N, D] (flat(Infinity) recursed on any depth a client sent).
  return rowsFromElements((input.data as unknown[]).flat(1), shape, where, '"data"');
}

/** An input tensor's checked shape [rows, d] (count = rows · d elements). */
export interface InputShape {
  rows: number;
  d: number;
  count: number;
}

/**
 * The checks of an input tensor's header, for either transport: FP32, a shape [N, D] of
 * non-negative integers with the model's D, at most `maxRows` rows.
 * @param where the tensor, for messages (e.g. "inference request input 'x'")
 */
export function inputShape(
  datatype: unknown,
  shape: unknown,
  info: ModelInfo,
  maxRows: number,
  where: string,
): InputShape {
  if (datatype !== 'FP32')
    throw new UserError(`${where}: datatype ${JSON.stringify(datatype)?.slice(0, 32)}, the model takes FP32`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0))
    throw new UserError(`${where}: "shape" must be an array of non-negative integers, e.g. [N, ${info.d}]`);
  const [rows, d] = checkRows(shape as number[], where);
  checkShape(rows, d, info, maxRows, where);
  return { rows, d, count: rows * d };
}

/**
 * Rows from a tensor's little-endian FP32 bytes: their count, then finiteness.
 * @param owned the bytes' whole buffer is this request's own (a body from readBody): aligned bytes
 *   are then taken as they are, the batcher owning that buffer from now on; otherwise they are copied
 */
export function rowsFromBytes(bytes: Uint8Array, shape: InputShape, where: string, what: string, owned = false): Rows {
  if (bytes.length !== shape.count * 4)
    throw new UserError(
      `${where}: ${what} has ${bytes.length} bytes, shape [${shape.rows}, ${shape.d}] of FP32 needs ${shape.count * 4}`,
    );
  let x: Float32Array;
  if (owned && bytes.byteOffset % 4 === 0) x = new Float32Array(bytes.buffer, bytes.byteOffset, shape.count);
  else {
    x = new Float32Array(shape.count);
    new Uint8Array(x.buffer).set(bytes);
  }
  checkFinite(x, where, [shape.rows, shape.d]);
  return { x, rows: shape.rows };
}

/** Rows from a tensor's elements, flat and row-major: their count, that each is a finite number. */
export function rowsFromElements(flat: readonly unknown[], shape: InputShape, where: string, what: string): Rows {
  const { rows, d, count } = shape;
  if (flat.length !== count)
    throw new UserError(`${where}: ${what} has ${flat.length} elements, shape [${rows}, ${d}] needs ${count}`);
  for (let i = 0; i < count; i++)
    if (typeof flat[i] !== 'number')
      throw new UserError(`${where}: ${what} element ${i} is ${JSON.stringify(flat[i])?.slice(0, 40)}, not a number`);
  checkFinite(flat as number[], where, [rows, d]);
  return { x: Float32Array.from(flat as number[]), rows };
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
