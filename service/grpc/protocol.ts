/**
 * The gRPC form of the Open Inference Protocol as code: the `.proto` files of this folder loaded
 * with protobufjs, and grpc-js's service definition of `inference.GRPCInferenceService` built from
 * them (messages as plain objects with the `.proto`'s snake_case field names, int64 as numbers,
 * enums as names, bytes as Buffers). The server and the tests' client share it.
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
