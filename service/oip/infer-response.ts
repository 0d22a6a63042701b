/**
 * An Open Inference Protocol inference response: outputs as JSON tensors (flat row-major data), or
 * as binary data after the JSON (binary tensor data extension), as each was asked for. JSON-only
 * answers are streamed; with binary data the JSON header's length is sent first, so it is built
 * (in slices) before the binary views follow it.
 */
import { Readable } from 'node:stream';
import type { Outputs } from '../model-info.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { SMALL_BYTES } from '../response-formats.ts';
import { jsonBuffers, jsonStream, jsonText, SMALL_VALUES, valueCount, type JsonPart } from '../streamed-json.ts';
import { HEADER_LENGTH, type InferRequest } from './infer-request.ts';

export async function inferResponse(
  model: ServedModel,
  request: Pick<InferRequest, 'id' | 'outputs'>,
  outputs: Outputs,
): Promise<{ headers: Record<string, string>; body: Readable | Buffer | string }> {
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
  return {
    headers: {
      'content-type': 'application/octet-stream',
      [HEADER_LENGTH]: String(jsonLength),
      'content-length': String(binaries.reduce((sum, b) => sum + b.length, jsonLength)),
    },
    body:
      binaries.reduce((sum, b) => sum + b.length, jsonLength) <= SMALL_BYTES
        ? Buffer.concat([...json, ...binaries])
        : Readable.from([...json, ...binaries], { objectMode: false }),
  };
}
