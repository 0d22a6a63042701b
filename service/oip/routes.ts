/**
 * The Open Inference Protocol (KServe v2 / Triton HTTP/REST) on the same server: server and model
 * metadata, health, and inference with JSON tensors or the binary tensor data extension. Errors are
 * `{"error": "..."}` as the protocol specifies. Registered in a plugin of its own so that any body
 * type reaches the infer route (binary requests are often sent as application/octet-stream).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VERSION } from '@entropy-sc/core/version';
import type { Readable } from 'node:stream';
import { admissionCheck, chargeWork } from '../admission.ts';
import { readBody } from '../body-reader.ts';
import { clientGone } from '../client-abort.ts';
import type { ServiceContext } from '../context.ts';
import { windowCount } from '../image-request.ts';
import { modelMetadata } from '../model-config.ts';
import { imageRequestBytes, requestBytes } from '../request-cost.ts';
import { registerConfigRoute } from './config-route.ts';
import { HEADER_LENGTH } from './infer-request.ts';
import { inferResponse, type InferAnswer } from './infer-response.ts';
import { registerRepositoryRoutes } from './repository-routes.ts';

type ModelParams = { name: string; version?: string };

/** Sends an answer; an answer in a pooled buffer goes back to the pool once the client has it all. */
function send(reply: FastifyReply, answer: InferAnswer) {
  if (answer.release) reply.raw.once('finish', answer.release);
  return reply.headers(answer.headers).send(answer.body);
}

export function registerOipRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { models, metrics, modelMetrics, decoder, limits, buffers } = context;
  app.addContentTypeParser('*', (request: FastifyRequest, payload: Readable) =>
    readBody(payload, request.headers, limits.bodyLimitBytes, Number(request.headers[HEADER_LENGTH]) || 0, buffers),
  );

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
      // The model is checked before the body is read.
      { preParsing: admit },
      async (request, reply) => {
        const model = modelOf(request);
        const { info, batcher } = model;
        const header = request.headers[HEADER_LENGTH];
        if (model.kind === 'image') {
          const { images } = await decoder.decode(
            'oip-image',
            request.body ?? Buffer.alloc(0),
            model,
            Array.isArray(header) ? header[0] : header,
          );
          const names = images.outputs.map((o) => o.name);
          const [count, height, width] = images.shape;
          const { patch, stride } = model.image!;
          const windows = count * windowCount(height, patch, stride) * windowCount(width, patch, stride);
          chargeWork(context, request, imageRequestBytes(model.info, images.shape, windows, names));
          const outputs = await batcher.submit(images.data, count, names, clientGone(reply), images.shape);
          request.rows = windows;
          metrics.rowsEncoded.inc(windows);
          modelMetrics.encoded(model.name, windows, count);
          return send(reply, await inferResponse(model, images, outputs, buffers));
        }
        const { x, rows, infer } = await decoder.decode(
          'oip',
          request.body ?? Buffer.alloc(0),
          model,
          Array.isArray(header) ? header[0] : header,
        );
        request.rows = rows;
        const names = infer!.outputs.map((o) => o.name);
        const mixed = infer!.outputs.some((o) => o.binary);
        const builtJson = mixed ? infer!.outputs.filter((o) => !o.binary).map((o) => o.name) : [];
        chargeWork(context, request, requestBytes(info, rows, names, builtJson));
        const outputs = await batcher.submit(x, rows, names, clientGone(reply));
        metrics.rowsEncoded.inc(rows);
        modelMetrics.encoded(model.name, rows);
        return send(reply, await inferResponse(model, infer!, outputs, buffers));
      },
    );
}
