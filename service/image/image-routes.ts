/**
 * `POST /v1/encode-image` (cli.md `serve`): a PNG or JPEG body → the model's outputs for that image
 * in the image model's shapes without the batch axis (image-outputs.ts), as .npz (.npy for one
 * output) or JSON (`Accept: application/json`), `?outputs=` and `?model=` as for /v1/encode. The
 * header is checked before anything is decoded (image-request.ts); decoding and whitening run in the
 * preparation workers, the windows go through the model's micro-batcher with every other request's
 * rows, so they count against the same row limits and queue.
 */
import type { FastifyInstance } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { admissionCheck } from '../admission.ts';
import { clientGone } from '../client-abort.ts';
import type { ServiceContext } from '../context.ts';
import { IMAGE_TYPES, readImageHeader } from '../image-request.ts';
import type { Outputs } from '../model-info.ts';
import type { ServedModel } from '../repository/model-set.ts';
import { outputsJson, outputsNpy } from '../response-formats.ts';
import { encoderOutputs, imageOutputs, selectImageOutputs } from './image-outputs.ts';

type Query = { model?: string | string[]; outputs?: string | string[] };

export function registerImageRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { models, metrics, modelMetrics, limits } = context;
  const raw = (_request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
  app.addContentTypeParser([...IMAGE_TYPES], { parseAs: 'buffer' }, raw);

  const imageModel = (request: { query: Query }): ServedModel & Required<Pick<ServedModel, 'image'>> => {
    const model = models.pick(request.query.model, (m) => m.image !== undefined);
    if (!model.image)
      throw new UserError(
        `model '${model.name}' does not take images (its input of D=${model.info.d} is not a square window)`,
      );
    return model as ServedModel & Required<Pick<ServedModel, 'image'>>;
  };

  app.post<{ Body: Buffer; Querystring: Query }>(
    '/v1/encode-image',
    { preParsing: admissionCheck(context, imageModel) },
    async (request, reply) => {
      const model = imageModel(request);
      const { patch, stride, whiten } = model.image;
      const names = selectImageOutputs(request.query.outputs, model.info);
      const body = request.body ?? Buffer.alloc(0);
      readImageHeader(body, request.headers['content-type'], patch, stride, limits.maxRowsPerRequest);
      // A copy of its own: the body's buffer may be a slice of a shared one, and this one moves to a worker.
      const image = await context.prep.prepare(new Uint8Array(body), { patch, stride, whiten });
      const rows = image.tops.length * image.lefts.length;
      request.rows = rows;
      const wanted = encoderOutputs(names);
      const windows: Outputs =
        wanted.length === 0 ? {} : await model.batcher.submit(image.x, rows, wanted, clientGone(reply));
      metrics.rowsEncoded.inc(rows);
      modelMetrics.encoded(model.name, rows, 1);
      const outputs = imageOutputs(names, image, windows, patch) as Outputs;
      if ((request.headers.accept ?? '').includes('application/json'))
        return reply.type('application/json; charset=utf-8').send(outputsJson(outputs));
      const { type, body: answer } = outputsNpy(outputs);
      return reply.type(type).send(answer);
    },
  );
}
