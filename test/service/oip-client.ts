/**
 * A small Open Inference Protocol (KServe v2 REST) client written from the specification, for tests:
 * inference requests with JSON or binary input data, outputs as JSON or binary (binary tensor data
 * extension), responses split at Inference-Header-Content-Length.
 */

export interface InferOptions {
  /** send x as binary data after the JSON header */
  binaryInput?: boolean;
  /** ask for these outputs (default: all, as JSON) */
  outputs?: { name: string; binary?: boolean }[];
  /** the request-level binary_data_output parameter */
  binaryDataOutput?: boolean;
  id?: string;
  headers?: Record<string, string>;
}

export interface InferResult {
  status: number;
  /** the response JSON (header part for binary responses) */
  json: Record<string, unknown>;
  /** each output's data, whether it came as JSON or binary */
  outputs: Record<string, { shape: number[]; data: Float32Array; binary: boolean }>;
}

/** Builds the body and headers of an inference request for x [rows, d]. */
export function inferRequest(
  x: Float32Array,
  rows: number,
  d: number,
  options: InferOptions = {},
): { body: Buffer; headers: Record<string, string> } {
  const input: Record<string, unknown> = { name: 'x', datatype: 'FP32', shape: [rows, d] };
  if (options.binaryInput) input.parameters = { binary_data_size: x.byteLength };
  else input.data = Array.from(x);
  const request: Record<string, unknown> = { inputs: [input] };
  if (options.id !== undefined) request.id = options.id;
  if (options.binaryDataOutput) request.parameters = { binary_data_output: true };
  if (options.outputs)
    request.outputs = options.outputs.map((o) => ({
      name: o.name,
      ...(o.binary !== undefined && { parameters: { binary_data: o.binary } }),
    }));
  const json = Buffer.from(JSON.stringify(request), 'utf8');
  if (!options.binaryInput) return { body: json, headers: { 'content-type': 'application/json', ...options.headers } };
  return {
    body: Buffer.concat([json, Buffer.from(x.buffer, x.byteOffset, x.byteLength)]),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(json.length),
      ...options.headers,
    },
  };
}

/** Splits a response into its JSON and the binary outputs that follow it, in order. */
export function parseInferResponse(status: number, headers: Headers, bytes: Buffer): InferResult {
  const headerLength = headers.get('inference-header-content-length');
  const jsonLength = headerLength === null ? bytes.length : Number(headerLength);
  const json = JSON.parse(bytes.subarray(0, jsonLength).toString('utf8')) as Record<string, unknown>;
  const outputs: InferResult['outputs'] = {};
  let offset = jsonLength;
  for (const o of (json.outputs ?? []) as {
    name: string;
    shape: number[];
    datatype: string;
    data?: number[];
    parameters?: { binary_data_size?: number };
  }[]) {
    if (o.datatype !== 'FP32') throw new Error(`unexpected datatype ${o.datatype}`);
    const size = o.parameters?.binary_data_size;
    if (size === undefined) outputs[o.name] = { shape: o.shape, data: Float32Array.from(o.data!), binary: false };
    else {
      const data = new Float32Array(size / 4);
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + size));
      offset += size;
      outputs[o.name] = { shape: o.shape, data, binary: true };
    }
  }
  if (offset !== bytes.length) throw new Error(`${bytes.length - offset} bytes left after the outputs`);
  return { status, json, outputs };
}

export async function infer(
  baseUrl: string,
  model: string,
  x: Float32Array,
  rows: number,
  d: number,
  options: InferOptions = {},
): Promise<InferResult> {
  const { body, headers } = inferRequest(x, rows, d, options);
  const response = await fetch(`${baseUrl}/v2/models/${model}/infer`, { method: 'POST', headers, body });
  return parseInferResponse(response.status, response.headers, Buffer.from(await response.arrayBuffer()));
}
