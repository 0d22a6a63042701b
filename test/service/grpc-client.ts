/**
 * A gRPC client of `inference.GRPCInferenceService` for tests: grpc-js with the service's own
 * `.proto`, calls as promises, and ModelInfer requests of rows [rows, d] as raw or typed contents.
 */
import { credentials, makeGenericClientConstructor, Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { inferenceService } from '../../service/grpc/protocol.ts';

export type Message = Record<string, unknown>;

export interface CallOptions {
  token?: string;
  /** ms from now */
  deadlineMs?: number;
}

/** A unary method of the generic client: (request, metadata, options, callback) */
type UnaryMethod = (
  request: Message,
  metadata: Metadata,
  options: object,
  callback: (error: ServiceError | null, response: Message) => void,
) => void;

export class InferenceClient {
  readonly client: Client & Record<string, UnaryMethod>;

  constructor(address: string, channelOptions: Record<string, number> = {}) {
    const Constructor = makeGenericClientConstructor(inferenceService(), 'GRPCInferenceService');
    this.client = new Constructor(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      ...channelOptions,
    }) as Client & Record<string, UnaryMethod>;
  }

  call(method: string, request: Message, options: CallOptions = {}): Promise<Message> {
    const metadata = new Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    const callOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    return new Promise((resolve, reject) =>
      this.client[method]!.call(this.client, request, metadata, callOptions, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  }

  /** The call's error (fails the test if it succeeded). */
  async error(method: string, request: Message, options: CallOptions = {}): Promise<ServiceError> {
    try {
      await this.call(method, request, options);
    } catch (error) {
      return error as ServiceError;
    }
    throw new Error(`${method} succeeded, an error was expected`);
  }

  close(): void {
    this.client.close();
  }
}

/** A ModelInfer request for x [rows, d]: raw_input_contents, or typed fp32_contents. */
export function inferRequest(
  model: string,
  x: Float32Array,
  rows: number,
  d: number,
  options: { outputs?: string[]; typed?: boolean; id?: string } = {},
): Message {
  const input: Message = { name: 'x', datatype: 'FP32', shape: [rows, d] };
  if (options.typed) input.contents = { fp32_contents: Array.from(x) };
  return {
    model_name: model,
    id: options.id ?? '',
    inputs: [input],
    outputs: (options.outputs ?? []).map((name) => ({ name })),
    raw_input_contents: options.typed ? [] : [Buffer.from(x.buffer, x.byteOffset, x.byteLength)],
  };
}

/** Each output of a ModelInferResponse by name, from raw_output_contents or typed contents. */
export function inferOutputs(response: Message): Record<string, { shape: number[]; data: Float32Array }> {
  const outputs = response.outputs as { name: string; datatype: string; shape: number[]; contents: Message | null }[];
  const raw = response.raw_output_contents as Buffer[];
  const result: Record<string, { shape: number[]; data: Float32Array }> = {};
  outputs.forEach((o, i) => {
    if (o.datatype !== 'FP32') throw new Error(`unexpected datatype ${o.datatype}`);
    let data: Float32Array;
    if (raw.length > 0) {
      data = new Float32Array(raw[i]!.length / 4);
      new Uint8Array(data.buffer).set(raw[i]!);
    } else data = Float32Array.from(o.contents!.fp32_contents as number[]);
    result[o.name] = { shape: o.shape, data };
  });
  if (raw.length > 0 && raw.length !== outputs.length)
    throw new Error(`${raw.length} raw buffers for ${outputs.length} outputs`);
  return result;
}
