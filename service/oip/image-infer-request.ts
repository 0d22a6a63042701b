/**
 * An OIP inference request to an image model: one input `image`, UINT8 [count, height, width,
 * channels] (equal-size images, 1 or 3 channels), as JSON data or binary tensor data; each image
 * checked as the library checks it (checkImage: at least one window, not constant), and the windows
 * within the request limit.
 */
import { UserError } from '@entropy-sc/core/errors';
import { IMAGE_INPUT_NAME } from '@entropy-sc/graph/image-model-graph';
import { checkImage } from '@entropy-sc/inference/image-codes';
import { HttpError } from '../http-error.ts';
import { windowCount } from '../image-request.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { IMAGES_PER_REQUEST } from '../model-config.ts';
import { parseJson } from '../request-rows.ts';
import { isObject, requestedOutputs, type InferRequest } from './infer-request.ts';

const NAME = 'inference request';

export interface ImageInferRequest extends Pick<InferRequest, 'id' | 'outputs'> {
  data: Uint8Array;
  /** [count, height, width, channels] */
  shape: [number, number, number, number];
}

/** What the checks need of an image model (plain data: it crosses to the body decoder's worker). */
export type ImageModelView = Pick<ServedModel, 'name' | 'info' | 'image'>;

export function parseImageInferRequest(
  body: Buffer,
  headerLength: string | undefined,
  model: ImageModelView,
  maxWindows: number,
): ImageInferRequest {
  const jsonLength = headerLength === undefined ? body.length : Number(headerLength);
  if (headerLength !== undefined && (!/^\d+$/.test(headerLength.trim()) || jsonLength > body.length))
    throw new UserError(
      `Inference-Header-Content-Length '${headerLength.slice(0, 32)}' is not a byte count within the body`,
    );
  const request = parseJson(body.subarray(0, jsonLength), NAME);
  const binary = body.subarray(jsonLength);
  if (!isObject(request)) throw new UserError(`${NAME}: expected a JSON object with "inputs"`);
  if (request.id !== undefined && typeof request.id !== 'string') throw new UserError(`${NAME}: "id" must be a string`);
  const inputs = request.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1 || !isObject(inputs[0]) || inputs[0].name !== IMAGE_INPUT_NAME)
    throw new UserError(
      `${NAME}: image model '${model.name}' has one input, '${IMAGE_INPUT_NAME}' (UINT8 [N, height, width, channels])`,
    );
  const input = inputs[0];
  const where = `${NAME} input '${IMAGE_INPUT_NAME}'`;
  const shape = imageInputShape(input.datatype, input.shape, model, maxWindows, where);
  const parameters = isObject(input.parameters) ? input.parameters : {};
  let data: Uint8Array;
  if (parameters.binary_data_size !== undefined) {
    if (parameters.binary_data_size !== shape.size)
      throw new UserError(
        `${where}: binary_data_size ${JSON.stringify(parameters.binary_data_size)}; shape [${shape.dims.join(', ')}] of UINT8 needs ${shape.size}`,
      );
    data = imageFromBytes(binary, shape, where, 'the binary data');
  } else {
    if (!Array.isArray(input.data)) throw new UserError(`${where}: "data" is missing (or give binary_data_size)`);
    // Nested at most as deep as the shape (flat(Infinity) would recurse on any depth a client sent).
    data = imageFromElements((input.data as unknown[]).flat(3), shape, where, '"data"');
  }
  return {
    id: request.id as string | undefined,
    outputs: requestedOutputs(request, model.info),
    data,
    shape: shape.dims,
  };
}

/** An image input's checked shape [count, height, width, channels] and its byte count. */
export interface ImageInputShape {
  dims: [number, number, number, number];
  size: number;
  /** the model's window side P: each image must hold one */
  patch: number;
}

/**
 * The checks of an image input's header, for either transport: UINT8, [N, height, width, channels]
 * of positive integers, at most IMAGES_PER_REQUEST images and `maxWindows` windows in all.
 * @param where the tensor, for messages
 */
export function imageInputShape(
  datatype: unknown,
  shape: unknown,
  model: ImageModelView,
  maxWindows: number,
  where: string,
): ImageInputShape {
  if (datatype !== 'UINT8')
    throw new UserError(`${where}: datatype ${JSON.stringify(datatype)?.slice(0, 32)}, the image model takes UINT8`);
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((s) => Number.isSafeInteger(s) && s >= 1))
    throw new UserError(`${where}: "shape" must be [N, height, width, channels] of positive integers`);
  const dims = shape as [number, number, number, number];
  const [count, height, width, channels] = dims;
  if (count > IMAGES_PER_REQUEST)
    throw new HttpError(413, `${where}: ${count} images, more than the limit of ${IMAGES_PER_REQUEST} per request`);
  const { patch, stride } = model.image!;
  if (width >= patch && height >= patch) {
    const windows = count * windowCount(height, patch, stride) * windowCount(width, patch, stride);
    if (windows > maxWindows)
      throw new HttpError(413, `${where}: ${windows} windows in all, more than the limit of ${maxWindows} per request`);
  }
  return { dims, size: count * height * width * channels, patch };
}

/** Images from a tensor's bytes: their count, then each image checked as the library checks it. */
export function imageFromBytes(bytes: Uint8Array, shape: ImageInputShape, where: string, what: string): Uint8Array {
  if (bytes.length !== shape.size)
    throw new UserError(
      `${where}: ${what} has ${bytes.length} bytes, shape [${shape.dims.join(', ')}] of UINT8 needs ${shape.size}`,
    );
  return checkedImages(new Uint8Array(bytes), shape);
}

/** Images from a tensor's elements, flat and row-major: their count, each an integer 0-255, each image checked. */
export function imageFromElements(
  flat: readonly unknown[],
  shape: ImageInputShape,
  where: string,
  what: string,
): Uint8Array {
  if (flat.length !== shape.size)
    throw new UserError(
      `${where}: ${what} has ${flat.length} elements, shape [${shape.dims.join(', ')}] needs ${shape.size}`,
    );
  const data = new Uint8Array(shape.size);
  for (let i = 0; i < shape.size; i++) {
    const v = flat[i];
    if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255))
      throw new UserError(`${where}: ${what} element ${i} is ${JSON.stringify(v)?.slice(0, 40)}, not a UINT8 (0-255)`);
    data[i] = v as number;
  }
  return checkedImages(data, shape);
}

function checkedImages(data: Uint8Array, shape: ImageInputShape): Uint8Array {
  const [count, height, width, channels] = shape.dims;
  const one = height * width * channels;
  for (let b = 0; b < count; b++)
    checkImage(
      { name: `image ${b}`, width, height, channels, data: data.subarray(b * one, (b + 1) * one) },
      shape.patch,
    );
  return data;
}
