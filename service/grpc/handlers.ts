/**
 * The RPCs of `inference.GRPCInferenceService` on the service's context (the same model, batcher,
 * limits, metrics and readiness as HTTP): the bearer token from `authorization` metadata (liveness
 * and readiness stay open), one log line and one latency observation per call, errors as gRPC
 * statuses that name the problem.
 */
import {
  status,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { FastifyBaseLogger } from 'fastify';
import { Histogram } from 'prom-client';
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { VERSION } from '@entropy-sc/core/version';
import { admit } from '../admission.ts';
import { BearerCheck } from '../auth.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, ShuttingDownError } from '../http-error.ts';
import { modelConfig } from '../model-config.ts';
import { MODEL_VERSION } from '../oip/infer-response.ts';
import { requestBytes } from '../request-cost.ts';
import { grpcStatus } from './status.ts';
import { modelInferResponse, parseModelInfer, type ModelInferRequest } from './tensors.ts';

export interface HandlerOptions {
  /** the bearer token every RPC but liveness and readiness needs; none: open */
  token?: string;
  /** encode workers, for ModelConfig's instance group */
  instances: number;
  log?: FastifyBaseLogger;
}

type Request = Record<string, unknown>;
type Handler = (request: Request, signal: AbortSignal, note: CallNote) => Promise<object> | object;

/** What a call's log line says of it beyond its method and code. */
interface CallNote {
  rows: number;
}

export function inferenceHandlers(context: ServiceContext, options: HandlerOptions): UntypedServiceImplementation {
  const { info, batcher, metrics, limits, readiness } = context;
  const check = options.token === undefined ? undefined : new BearerCheck(options.token);
  const seconds = new Histogram({
    name: 'entropy_sc_grpc_request_duration_seconds',
    help: 'gRPC call latency by method and status code',
    labelNames: ['method', 'code'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [metrics.registry],
  });

  /** NOT_FOUND unless `name` (and, if given, `version`) is the served model. */
  const checkModel = (request: Request) => {
    const name = String(request.name ?? request.model_name ?? '');
    const version = String(request.version ?? request.model_version ?? '');
    if (name !== info.card.name)
      throw new HttpError(404, `unknown model '${name.slice(0, 64)}' (this server serves '${info.card.name}')`);
    if (version !== '' && version !== MODEL_VERSION)
      throw new HttpError(
        404,
        `unknown version '${version.slice(0, 16)}' of model '${name}' (it has version ${MODEL_VERSION})`,
      );
  };

  const unary =
    (method: string, open: boolean, handle: Handler) =>
    (call: ServerUnaryCall<Request, object>, callback: sendUnaryData<object>) => {
      const start = performance.now();
      const note: CallNote = { rows: 0 };
      const controller = new AbortController();
      call.once('cancelled', () => controller.abort(new Error('the client cancelled the call')));
      const finish = (code: status, details?: string) => {
        const ms = performance.now() - start;
        seconds.observe({ method, code: status[code] }, ms / 1000);
        options.log?.info(
          { method, code: status[code], rows: note.rows, ms: Math.round(ms * 100) / 100 },
          'grpc request',
        );
        if (details !== undefined) options.log?.debug({ method, details }, 'grpc error');
      };
      void (async () => {
        if (!open) {
          if (!readiness.ready) throw new ShuttingDownError();
          if (check && !check.accepts(bearer(call.metadata)))
            throw new HttpError(401, 'missing or wrong bearer token (send metadata authorization: Bearer <token>)');
        }
        return handle(call.request, controller.signal, note);
      })().then(
        (response) => {
          finish(status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const { code, details, internal } = grpcStatus(error);
          if (internal) options.log?.error({ err: error, method }, 'grpc request failed');
          finish(code, details);
          callback({ code, details });
        },
      );
    };

  const tensor = (name: string, shape: number[]) => ({ name, datatype: 'FP32', shape });
  const handlers: Record<string, [open: boolean, handle: Handler]> = {
    ServerLive: [true, () => ({ live: true })],
    ServerReady: [true, () => ({ ready: readiness.ready })],
    ModelReady: [
      false,
      (request) => {
        checkModel(request);
        return { ready: readiness.ready };
      },
    ],
    ServerMetadata: [
      false,
      () => ({ name: 'entropy-sc', version: VERSION, extensions: ['model_configuration', 'model_repository'] }),
    ],
    ModelMetadata: [
      false,
      (request) => {
        checkModel(request);
        return {
          name: info.card.name,
          versions: [MODEL_VERSION],
          platform: 'onnxruntime_onnx',
          inputs: [tensor(INPUT_NAME, [-1, info.d])],
          outputs: info.outputs.map((name) => tensor(name, [-1, ...info.rowShapes[name]!])),
        };
      },
    ],
    ModelConfig: [
      false,
      (request) => {
        checkModel(request);
        return { config: modelConfig(info, limits, options.instances) };
      },
    ],
    RepositoryIndex: [
      false,
      () => ({
        models: [
          {
            name: info.card.name,
            version: MODEL_VERSION,
            state: readiness.ready ? 'READY' : 'UNAVAILABLE',
            reason: '',
          },
        ],
      }),
    ],
    ModelInfer: [
      false,
      async (request, signal, note) => {
        checkModel(request);
        const infer = parseModelInfer(request as unknown as ModelInferRequest, info, limits.maxRowsPerRequest);
        // The received message, the rows and outputs, and the answer's message (as large as the outputs).
        const charge = admit(context, requestBytes(info, infer.rows, infer.outputs, infer.outputs));
        try {
          note.rows = infer.rows;
          const outputs = await batcher.submit(infer.x, infer.rows, infer.outputs, signal);
          metrics.rowsEncoded.inc(infer.rows);
          return modelInferResponse(info, infer, outputs);
        } finally {
          charge.release();
        }
      },
    ],
  };
  return Object.fromEntries(
    Object.entries(handlers).map(([method, [open, handle]]) => [method, unary(method, open, handle)]),
  ) as UntypedServiceImplementation;
}

function bearer(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}
