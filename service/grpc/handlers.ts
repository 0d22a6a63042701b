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
import { VERSION } from '@entropy-sc/core/version';
import { admit } from '../admission.ts';
import { BearerCheck } from '../auth.ts';
import type { ClientGone } from '../batcher.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError, ShuttingDownError } from '../http-error.ts';
import { modelMetadata, tritonModelConfig } from '../model-config.ts';
import { windowCount } from '../image-request.ts';
import { imageRequestBytes, requestBytes } from '../request-cost.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { grpcStatus } from './status.ts';
import { modelInferResponse, parseImageModelInfer, parseModelInfer, type ModelInferRequest } from './tensors.ts';

export interface HandlerOptions {
  /** the bearer token every RPC but liveness and readiness needs; none: open */
  token?: string;
  log?: FastifyBaseLogger;
}

type Request = Record<string, unknown>;
type Handler = (request: Request, gone: ClientGone, note: CallNote) => Promise<object> | object;

/** What a call's log line says of it beyond its method and code. */
interface CallNote {
  rows: number;
}

export function inferenceHandlers(context: ServiceContext, options: HandlerOptions): UntypedServiceImplementation {
  const { models, metrics, modelMetrics, limits, readiness } = context;
  const { log } = options;
  const check = options.token === undefined ? undefined : new BearerCheck(options.token);
  const seconds = new Histogram({
    name: 'entropy_sc_grpc_request_duration_seconds',
    help: 'gRPC call latency by method and status code',
    labelNames: ['method', 'code'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [metrics.registry],
  });
  // One labelled child per method and code, made once: prom-client hashes a labels object per observation.
  const observers = new Map<string, Histogram.Internal<'method' | 'code'>>();
  const observe = (method: string, code: status, elapsed: number) => {
    const key = `${method} ${code}`;
    let child = observers.get(key);
    if (!child) observers.set(key, (child = seconds.labels(method, status[code])));
    child.observe(elapsed);
  };

  /** The model a request names (NOT_FOUND unless served, in that version if one is named). */
  const modelOf = (request: Request) => {
    const name = String(request.name ?? request.model_name ?? '');
    const version = String(request.version ?? request.model_version ?? '');
    return models.lookup(name, version === '' ? undefined : version);
  };

  const unary =
    (method: string, open: boolean, handle: Handler) =>
    (call: ServerUnaryCall<Request, object>, callback: sendUnaryData<object>) => {
      const start = performance.now();
      const note: CallNote = { rows: 0 };
      // Registered only when the batcher queues rows, and without an AbortController per call.
      const gone: ClientGone = (drop) => call.once('cancelled', () => drop(new Error('the client cancelled the call')));
      const finish = (code: status, details?: string) => {
        const ms = performance.now() - start;
        observe(method, code, ms / 1000);
        log?.info({ method, code: status[code], rows: note.rows, ms: Math.round(ms * 100) / 100 }, 'grpc request');
        if (details !== undefined) log?.debug({ method, details }, 'grpc error');
      };
      const answer = (response: object) => {
        finish(status.OK);
        callback(null, response);
      };
      const fail = (error: unknown) => {
        const { code, details, internal } = grpcStatus(error);
        if (internal) log?.error({ err: error, method }, 'grpc request failed');
        finish(code, details);
        callback({ code, details });
      };
      let response: Promise<object> | object;
      try {
        if (!open) {
          if (!readiness.ready) throw new ShuttingDownError();
          if (check && !check.accepts(bearer(call.metadata)))
            throw new HttpError(401, 'missing or wrong bearer token (send metadata authorization: Bearer <token>)');
        }
        response = handle(call.request, gone, note);
      } catch (error) {
        fail(error);
        return;
      }
      if (response instanceof Promise) response.then(answer, fail);
      else answer(response);
    };

  /** ModelInfer on an image model: its UINT8 images through its own workers (as HTTP's OIP route). */
  const inferImages = async (model: ServedModel, request: ModelInferRequest, gone: ClientGone, note: CallNote) => {
    const images = parseImageModelInfer(request, model, limits.maxRowsPerRequest);
    const [count, height, width] = images.shape;
    const { patch, stride } = model.image!;
    const windows = count * windowCount(height, patch, stride) * windowCount(width, patch, stride);
    const charge = admit(
      context,
      model.batcher,
      images.data.length + imageRequestBytes(model.info, images.shape, windows, images.outputs),
    );
    try {
      note.rows = windows;
      const outputs = await model.batcher.submit(images.data, count, images.outputs, gone, images.shape);
      metrics.rowsEncoded.inc(windows);
      modelMetrics.encoded(model.name, windows, count);
      return modelInferResponse(model, images, outputs);
    } finally {
      charge.release();
    }
  };

  const handlers: Record<string, [open: boolean, handle: Handler]> = {
    ServerLive: [true, () => ({ live: true })],
    ServerReady: [true, () => ({ ready: readiness.ready })],
    ModelReady: [
      false,
      (request) => {
        modelOf(request);
        return { ready: readiness.ready };
      },
    ],
    ServerMetadata: [
      false,
      () => ({ name: 'entropy-sc', version: VERSION, extensions: ['model_configuration', 'model_repository'] }),
    ],
    ModelMetadata: [false, (request) => modelMetadata(modelOf(request))],
    ModelConfig: [
      false,
      (request) => ({ config: tritonModelConfig(modelOf(request), { limits, ...context.serving }) }),
    ],
    RepositoryIndex: [
      false,
      () => ({
        models: models.list.map((model) => ({
          name: model.name,
          version: model.version,
          state: readiness.ready ? 'READY' : 'UNAVAILABLE',
          reason: '',
        })),
      }),
    ],
    ModelInfer: [
      false,
      async (request, gone, note) => {
        const model = modelOf(request);
        if (model.kind === 'image') return inferImages(model, request as unknown as ModelInferRequest, gone, note);
        const { info, batcher } = model;
        const infer = parseModelInfer(request as unknown as ModelInferRequest, info, limits.maxRowsPerRequest);
        // The received message, the rows and outputs, and the answer's message (as large as the outputs).
        const charge = admit(context, batcher, requestBytes(info, infer.rows, infer.outputs, infer.outputs));
        try {
          note.rows = infer.rows;
          const outputs = await batcher.submit(infer.x, infer.rows, infer.outputs, gone);
          metrics.rowsEncoded.inc(infer.rows);
          modelMetrics.encoded(model.name, infer.rows);
          return modelInferResponse(model, infer, outputs);
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
