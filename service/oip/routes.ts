/**
 * The Open Inference Protocol (KServe v2 / Triton HTTP/REST) on the same server: server and model
 * metadata, health, and inference with JSON tensors or the binary tensor data extension. Errors are
 * `{"error": "..."}` as the protocol specifies. Registered in a plugin of its own so that any body
 * type reaches the infer route (binary requests are often sent as application/octet-stream).
 */
import type { FastifyInstance } from 'fastify';
import { VERSION } from '@entropy-sc/core/version';
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { admissionCheck, chargeWork } from '../admission.ts';
import { clientGone } from '../client-abort.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import type { IncomingMessage } from 'node:http';
import { readBody } from '../body-reader.ts';
import { requestBytes } from '../request-cost.ts';
import { HEADER_LENGTH } from './infer-request.ts';
import { inferResponse, MODEL_VERSION } from './infer-response.ts';

type ModelParams = { name: string; version?: string };

export function registerOipRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { info, batcher, metrics, decoder, limits } = context;
  app.addContentTypeParser('*', (_request: unknown, payload: IncomingMessage) =>
    readBody(payload, limits.bodyLimitBytes),
  );

  /** 404 unless the URL names this model (and, if any, version 1). */
  const checkModel = async (request: { params: ModelParams }) => {
    const { name, version } = request.params;
    if (name !== info.card.name)
      throw new HttpError(404, `unknown model '${name.slice(0, 64)}' (this server serves '${info.card.name}')`);
    if (version !== undefined && version !== MODEL_VERSION)
      throw new HttpError(
        404,
        `unknown version '${version.slice(0, 16)}' of model '${name}' (it has version ${MODEL_VERSION})`,
      );
  };
  const both = (path: string) => [`/v2/models/:name${path}`, `/v2/models/:name/versions/:version${path}`];

  app.get('/v2', async () => ({ name: 'entropy-sc', version: VERSION, extensions: ['binary_tensor_data'] }));
  app.get('/v2/health/live', { config: { open: true } }, async () => ({ live: true }));
  // The protocol answers "not ready" with a 4xx.
  app.get('/v2/health/ready', { config: { open: true } }, async (_request, reply) =>
    reply.code(context.readiness.ready ? 200 : 400).send({ ready: context.readiness.ready }),
  );

  const metadata = {
    name: info.card.name,
    versions: [MODEL_VERSION],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: INPUT_NAME, datatype: 'FP32', shape: [-1, info.d] }],
    outputs: info.outputs.map((name) => ({ name, datatype: 'FP32', shape: [-1, ...info.rowShapes[name]!] })),
  };
  for (const url of both('')) app.get<{ Params: ModelParams }>(url, { preHandler: checkModel }, async () => metadata);
  for (const url of both('/ready'))
    app.get<{ Params: ModelParams }>(url, { preHandler: checkModel }, async (_request, reply) =>
      reply.code(context.readiness.ready ? 200 : 400).send({ name: info.card.name, ready: context.readiness.ready }),
    );

  const admit = admissionCheck(context);
  for (const url of both('/infer'))
    app.post<{ Params: ModelParams; Body: Buffer }>(
      url,
      {
        // The model is checked before the body is read.
        preParsing: async (request, reply) => {
          await checkModel(request);
          await admit(request, reply);
        },
      },
      async (request, reply) => {
        const header = request.headers[HEADER_LENGTH];
        const { x, rows, infer } = await decoder.decode(
          'oip',
          request.body ?? Buffer.alloc(0),
          Array.isArray(header) ? header[0] : header,
        );
        request.rows = rows;
        const names = infer!.outputs.map((o) => o.name);
        const mixed = infer!.outputs.some((o) => o.binary);
        const builtJson = mixed ? infer!.outputs.filter((o) => !o.binary).map((o) => o.name) : [];
        chargeWork(context, request, requestBytes(info, rows, names, builtJson));
        const outputs = await batcher.submit(x, rows, names, clientGone(reply));
        metrics.rowsEncoded.inc(rows);
        const { headers, body } = await inferResponse(info, infer!, outputs);
        return reply.headers(headers).send(body);
      },
    );
}
