/**
 * The contract's own endpoints (cli.md `serve`): POST /v1/encode with JSON or .npy rows, answered in
 * the same format; GET /v1/model (the model card); GET /healthz. `?model=NAME` where several are served.
 */
import type { FastifyInstance } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { admissionCheck, chargeWork } from './admission.ts';
import { clientGone } from './client-abort.ts';
import type { ServiceContext } from './context.ts';
import { selectOutputs } from './outputs.ts';
import { BODY } from './request-rows.ts';
import { requestBytes } from './request-cost.ts';
import { NPY_TYPE, outputsJson, outputsNpy } from './response-formats.ts';

export function registerV1Routes(app: FastifyInstance, context: ServiceContext): void {
  const { models, metrics, modelMetrics, decoder } = context;
  type ModelQuery = { model?: string | string[] };
  /** The model that encodes rows (an image model takes images: /v1/encode-image). */
  const rowModel = (query: unknown) => {
    const model = models.pick(query, (m) => m.kind === 'patch');
    if (model.kind === 'image')
      throw new UserError(
        `model '${model.name}' is an image model: send it images (POST /v1/encode-image?model=${model.name}), not rows`,
      );
    return model;
  };

  app.get('/healthz', { config: { open: true } }, async (_request, reply) => {
    if (!context.readiness.ready) return reply.code(503).send({ status: 'shutting down' });
    return { status: 'ok', model: models.list[0]!.info.card.name, models: models.names };
  });

  // Without ?model=, the one patch model (a model file and its image model: the file's card).
  app.get<{ Querystring: ModelQuery }>(
    '/v1/model',
    async (request) => models.pick(request.query.model, (m) => m.kind === 'patch').info.card,
  );

  app.post<{ Body: Buffer | undefined; Querystring: { outputs?: string | string[] } & ModelQuery }>(
    '/v1/encode',
    { preParsing: admissionCheck(context, (request) => rowModel(request.query.model)) },
    async (request, reply) => {
      const model = rowModel(request.query.model);
      const { name, info, batcher } = model;
      const npy = request.headers['content-type']?.startsWith(NPY_TYPE) ?? false;
      const decoded = await decoder.decode(npy ? 'npy' : 'json', request.body ?? Buffer.alloc(0), model);
      let asked: unknown = request.query.outputs;
      if (decoded.asked !== undefined && asked !== undefined)
        throw new UserError(`give the outputs in ?outputs= or in the body's "outputs", not both`);
      asked ??= decoded.asked;
      const outputs = selectOutputs(asked, info, asked === request.query.outputs ? '?outputs' : `${BODY} "outputs"`);
      request.rows = decoded.rows;
      chargeWork(context, request, requestBytes(info, decoded.rows, outputs));
      const result = await batcher.submit(decoded.x, decoded.rows, outputs, clientGone(reply));
      metrics.rowsEncoded.inc(decoded.rows);
      modelMetrics.encoded(name, decoded.rows);
      const answer = npy ? outputsNpy(result) : outputsJson(result);
      if (answer.length !== undefined) reply.header('content-length', answer.length);
      return reply.type(answer.type).send(answer.body);
    },
  );
}
