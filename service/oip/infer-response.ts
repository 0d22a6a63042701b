/**
 * An Open Inference Protocol inference response: outputs as JSON tensors (flat row-major data), or
 * as binary data after the JSON (binary tensor data extension), as each was asked for. JSON-only
 * answers are streamed; with binary data the JSON header's length is sent first, so it is built
 * (in slices) before the binary views follow it.
 */
import { Readable } from 'node:stream';
import type { BufferPool } from '../buffer-pool.ts';
import type { Outputs } from '../model-info.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { SMALL_BYTES } from '../response-formats.ts';
import { jsonBuffers, jsonStream, jsonText, SMALL_VALUES, valueCount, type JsonPart } from '../streamed-json.ts';
import { HEADER_LENGTH, type InferRequest } from './infer-request.ts';

export interface InferAnswer {
  headers: Record<string, string>;
  body: Readable | Buffer | string;
  /** gives the body's buffer back to the pool: call once the answer is sent whole */
  release?: () => void;
}

/** @param buffers where a binary answer sent as one buffer takes it */
export async function inferResponse(
  model: ServedModel,
  request: Pick<InferRequest, 'id' | 'outputs'>,
  outputs: Outputs,
  buffers: BufferPool,
): Promise<InferAnswer> {
  const binaries: Uint8Array[] = [];
  const head = {
    model_name: model.name,
    model_version: model.version,
    ...(request.id !== undefined && { id: request.id }),
  };
  const parts: JsonPart[] = [`${JSON.stringify(head).slice(0, -1)},"outputs":[`];
  request.outputs.forEach(({ name, binary }, i) => {
    const tensor = outputs[name]!;
    const meta = JSON.stringify({ name, datatype: 'FP32', shape: tensor.shape });
    const sep = i > 0 ? ',' : '';
    if (!binary) {
      parts.push(`${sep}${meta.slice(0, -1)},"data":`, { data: tensor.data, shape: tensor.shape, flat: true }, '}');
      return;
    }
    binaries.push(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    parts.push(`${sep}${meta.slice(0, -1)},"parameters":{"binary_data_size":${tensor.data.byteLength}}}`);
  });
  parts.push(']}');
  const small = valueCount(parts) <= SMALL_VALUES;
  if (binaries.length === 0)
    return {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: small ? jsonText(parts) : jsonStream(parts),
    };
  const json = small ? [Buffer.from(jsonText(parts), 'utf8')] : await jsonBuffers(parts);
  const jsonLength = json.reduce((sum, b) => sum + b.length, 0);
  const length = binaries.reduce((sum, b) => sum + b.length, jsonLength);
  const headers = {
    'content-type': 'application/octet-stream',
    [HEADER_LENGTH]: String(jsonLength),
    'content-length': String(length),
  };
  if (length > SMALL_BYTES) return { headers, body: Readable.from([...json, ...binaries], { objectMode: false }) };
  const body = Buffer.from(buffers.take(length), 0, length);
  let at = 0;
  for (const part of [...json, ...binaries]) {
    body.set(part, at);
    at += part.length;
  }
  return { headers, body, release: () => buffers.give(body.buffer as ArrayBuffer) };
}
