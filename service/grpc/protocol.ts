/**
 * The gRPC form of the Open Inference Protocol as code: the `.proto` files of this folder loaded
 * with protobufjs, and grpc-js's service definition of `inference.GRPCInferenceService` built from
 * them (messages as plain objects with the `.proto`'s snake_case field names, int64 as numbers,
 * enums as names, bytes as Buffers). The server and the tests' client share it. ModelInferResponse's
 * raw output contents are copied once into the answer instead of through protobufjs's object
 * conversion and writer (the same bytes: they are the message's last field).
 */
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const SERVICE_NAME = 'inference.GRPCInferenceService';

const PROTO = fileURLToPath(new URL('./grpc_service.proto', import.meta.url));

/** A message type's wire form both ways. */
export interface Codec {
  encode(message: object): Buffer;
  decode(bytes: Buffer): Record<string, unknown>;
}

function codec(type: protobuf.Type): Codec {
  return {
    encode: (message) => {
      const bytes = type.encode(type.fromObject(message)).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode: (bytes) =>
      type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: true, arrays: true, objects: true }),
  };
}

/**
 * ModelInferResponse's encoder: every field but `raw_output_contents` through protobufjs, then the
 * raw contents appended in one allocation. protobufjs writes fields in the order of their numbers,
 * and `raw_output_contents` has the highest, so the bytes are exactly those protobufjs would write.
 */
function inferResponseEncoder(type: protobuf.Type): Codec['encode'] {
  const field = type.fields.raw_output_contents!;
  const tag = (field.id << 3) | 2; // wire type 2: length-delimited
  if (tag >= 0x80 || type.fieldsArray.some((other) => other.id > field.id))
    throw new Error(`${type.name}: raw_output_contents must be its last field, with a one-byte tag`);
  const head = codec(type).encode;
  return (message) => {
    const { raw_output_contents: raw = [], ...rest } = message as { raw_output_contents?: Uint8Array[] };
    const front = head(rest);
    let length = front.length;
    for (const bytes of raw) length += 1 + varintLength(bytes.length) + bytes.length;
    const answer = Buffer.allocUnsafe(length);
    let at = front.copy(answer, 0);
    for (const bytes of raw) {
      answer[at++] = tag;
      for (let n = bytes.length; ; n >>>= 7) {
        if (n < 0x80) {
          answer[at++] = n;
          break;
        }
        answer[at++] = (n & 0x7f) | 0x80;
      }
      answer.set(bytes, at);
      at += bytes.length;
    }
    return answer;
  };
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n >>>= 7;
    length++;
  }
  return length;
}

let definition: ServiceDefinition | undefined;

/** The service definition (loaded once): each RPC's path and its request and response codecs. */
export function inferenceService(): ServiceDefinition {
  if (definition) return definition;
  const root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
  const service = root.lookupService(SERVICE_NAME);
  const methods: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = codec(method.resolvedRequestType!);
    const response = codec(method.resolvedResponseType!);
    if (method.name === 'ModelInfer') response.encode = inferResponseEncoder(method.resolvedResponseType!);
    methods[method.name] = {
      path: `/${SERVICE_NAME}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: request.encode,
      requestDeserialize: request.decode,
      responseSerialize: response.encode,
      responseDeserialize: response.decode,
    };
  }
  definition = methods;
  return definition;
}
