/**
 * The Open Inference Protocol (KServe v2 / Triton HTTP/REST) on the same server: server and model
 * metadata, health, and inference with JSON tensors or the binary tensor data extension. Errors are
 * `{"error": "..."}` as the protocol specifies. Registered in a plugin of its own so that any body
 * type reaches the infer route (binary requests are often sent as application/octet-stream).
 */
import type { FastifyInstance } from 'fastify';
import { VERSION } from '@entropy-sc/core/version';
import { admissionCheck } from '../admission.ts';
import { clientGone } from '../client-abort.ts';
import type { ServiceContext } from '../context.ts';
import { modelMetadata } from '../model-config.ts';
import { registerConfigRoute } from './config-route.ts';
import { registerRepositoryRoutes } from './repository-routes.ts';
import { windowCount } from '../image-request.ts';
import { parseImageInferRequest } from './image-infer-request.ts';
import { HEADER_LENGTH, parseInferRequest } from './infer-request.ts';
import { inferResponse } from './infer-response.ts';

type ModelParams = { name: string; version?: string };

export function registerOipRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { models, metrics, modelMetrics, limits } = context;
  const raw = (_request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, raw);

  /** The model the URL names (404 unless served, in that version if one is named). */
  const modelOf = (request: { params: ModelParams }) => models.lookup(request.params.name, request.params.version);
  const both = (path: string) => [`/v2/models/:name${path}`, `/v2/models/:name/versions/:version${path}`];

  app.get('/v2', async () => ({ name: 'entropy-sc', version: VERSION, extensions: ['binary_tensor_data'] }));
  registerRepositoryRoutes(app, context);
  registerConfigRoute(app, context);
  app.get('/v2/health/live', { config: { open: true } }, async () => ({ live: true }));
  // The protocol answers "not ready" with a 4xx.
  app.get('/v2/health/ready', { config: { open: true } }, async (_request, reply) =>
    reply.code(context.readiness.ready ? 200 : 400).send({ ready: context.readiness.ready }),
  );

  for (const url of both('')) app.get<{ Params: ModelParams }>(url, async (request) => modelMetadata(modelOf(request)));
  for (const url of both('/ready'))
    app.get<{ Params: ModelParams }>(url, async (request, reply) =>
      reply
        .code(context.readiness.ready ? 200 : 400)
        .send({ name: modelOf(request).name, ready: context.readiness.ready }),
    );

  const admit = admissionCheck(context, modelOf);
  for (const url of both('/infer'))
    app.post<{ Params: ModelParams; Body: Buffer }>(
      url,
      {
        // The model is checked before the body is read.
        preParsing: async (request) => {
          await admit(request);
        },
      },
      async (request, reply) => {
        const model = modelOf(request);
        const { info, batcher } = model;
        const header = request.headers[HEADER_LENGTH];
        if (model.kind === 'image') {
          const images = parseImageInferRequest(
            request.body ?? Buffer.alloc(0),
            Array.isArray(header) ? header[0] : header,
            model,
            limits.maxRowsPerRequest,
          );
          const names = images.outputs.map((o) => o.name);
          const outputs = await batcher.submit(images.data, images.shape[0], names, clientGone(reply), images.shape);
          const [count, height, width] = images.shape;
          const { patch, stride } = model.image!;
          const windows = count * windowCount(height, patch, stride) * windowCount(width, patch, stride);
          request.rows = windows;
          metrics.rowsEncoded.inc(windows);
          modelMetrics.encoded(model.name, windows, images.shape[0]);
          const { headers, body } = inferResponse(model, images, outputs);
          return reply.headers(headers).send(body);
        }
        const infer = parseInferRequest(
          request.body ?? Buffer.alloc(0),
          Array.isArray(header) ? header[0] : header,
          info,
          limits.maxRowsPerRequest,
        );
        request.rows = infer.rows;
        const outputs = await batcher.submit(
          infer.x,
          infer.rows,
          infer.outputs.map((o) => o.name),
          clientGone(reply),
        );
        metrics.rowsEncoded.inc(infer.rows);
        modelMetrics.encoded(model.name, infer.rows);
        const { headers, body } = inferResponse(model, infer, outputs);
        return reply.headers(headers).send(body);
      },
    );
}
