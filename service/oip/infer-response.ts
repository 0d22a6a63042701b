/**
 * An Open Inference Protocol inference response: outputs as JSON tensors (flat row-major data), or
 * as binary data after the JSON (binary tensor data extension), as each was asked for.
 */
import type { Outputs } from '../model-info.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { HEADER_LENGTH, type InferRequest } from './infer-request.ts';

export function inferResponse(
  model: ServedModel,
  request: Pick<InferRequest, 'id' | 'outputs'>,
  outputs: Outputs,
): { headers: Record<string, string>; body: Buffer | string } {
  const binaries: Uint8Array[] = [];
  const tensors = request.outputs.map(({ name, binary }) => {
    const tensor = outputs[name]!;
    const head = { name, datatype: 'FP32', shape: tensor.shape };
    if (!binary) return { ...head, data: Array.from(tensor.data) };
    binaries.push(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    return { ...head, parameters: { binary_data_size: tensor.data.byteLength } };
  });
  const json = JSON.stringify({
    model_name: model.name,
    model_version: model.version,
    ...(request.id !== undefined && { id: request.id }),
    outputs: tensors,
  });
  if (binaries.length === 0) return { headers: { 'content-type': 'application/json; charset=utf-8' }, body: json };
  const head = Buffer.from(json, 'utf8');
  return {
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.length) },
    body: Buffer.concat([head, ...binaries]),
  };
}
