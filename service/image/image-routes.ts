/**
 * `POST /v1/encode-image` (cli.md `serve`): a PNG or JPEG body → the model's outputs for that image
 * in the image model's shapes without the batch axis (image-outputs.ts), as .npz (.npy for one
 * output) or JSON (`Accept: application/json`), `?outputs=` and `?model=` as for /v1/encode. The
 * header is checked before anything is decoded (image-request.ts); decoding (and, for a patch model,
 * whitening) runs in the preparation workers. An image model's workers run the whole image through
 * its graph; a patch model's windows go through its micro-batcher with every other request's rows.
 * Both count the windows against the same row limit; both give the same numbers (issue 23's tests).
 */
import type { FastifyInstance } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { admissionCheck, chargeWork } from '../admission.ts';
import { clientGone } from '../client-abort.ts';
import type { ServiceContext } from '../context.ts';
import { IMAGE_TYPES, readImageHeader } from '../image-request.ts';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { checkImage, grayImageCodes, imageGrid, type ImageCodes } from '@entropy-sc/inference/image-codes';
import type { ServedModel } from '../repository/model-set.ts';
import { imageRequestBytes } from '../request-cost.ts';
import { outputsJson, outputsNpy } from '../response-formats.ts';
import { selectImageOutputs } from './image-outputs.ts';

type Query = { model?: string | string[]; outputs?: string | string[] };

export function registerImageRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { models, metrics, modelMetrics, limits } = context;
  const raw = (_request: unknown, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
  app.addContentTypeParser([...IMAGE_TYPES], { parseAs: 'buffer' }, raw);

  /** ?model=, else the one image model served, else the one model that takes images. */
  const imageModel = (request: { query: Query }): ServedModel & Required<Pick<ServedModel, 'image'>> => {
    const imageModels = models.list.filter((m) => m.kind === 'image');
    const model =
      request.query.model === undefined && imageModels.length === 1
        ? imageModels[0]!
        : models.pick(request.query.model, (m) => m.image !== undefined);
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
      const header = readImageHeader(body, request.headers['content-type'], patch, stride, limits.maxRowsPerRequest);
      // The decoded pixels (RGBA at most), the images made of them, the windows and the outputs.
      const windows = header.rows * header.cols;
      chargeWork(context, request, imageRequestBytes(model.info, [1, header.height, header.width], windows, names));
      // A copy of its own: the body's buffer may be a slice of a shared one, and this one moves to a worker.
      const bytes = new Uint8Array(body);
      const gone = clientGone(reply);
      let codes: Pick<ImageCodes, 'tops' | 'lefts' | 'outputs'>;
      if (model.kind === 'image') {
        // Decoded in a preparation worker; the image model's workers whiten and cut it in its graph.
        const pixels = await context.prep.pixels(bytes);
        checkImage(pixels, patch);
        const { width, height, channels, data } = pixels;
        const batch = await model.batcher.submit(data, 1, names, gone, [1, height, width, channels]);
        const outputs: ImageCodes['outputs'] = {};
        for (const [name, t] of Object.entries(batch))
          outputs[name as OutputName] = { data: t.data, shape: t.shape.slice(1) };
        codes = { ...imageGrid(width, height, patch, stride), outputs };
      } else {
        // Whitened in a preparation worker; the windows are cut here and go through the model's
        // micro-batcher with every other request's rows.
        const image = await context.prep.prepare(bytes, { whiten });
        codes = await grayImageCodes(
          { run: (x, rows, outputs) => model.batcher.submit(x, rows, outputs, gone) },
          image,
          patch,
          stride,
          names,
        );
      }
      request.rows = windows;
      metrics.rowsEncoded.inc(windows);
      modelMetrics.encoded(model.name, windows, 1);
      const outputs = codes.outputs;
      const answer = (request.headers.accept ?? '').includes('application/json')
        ? outputsJson(outputs)
        : outputsNpy(outputs);
      if (answer.length !== undefined) reply.header('content-length', answer.length);
      return reply.type(answer.type).send(answer.body);
    },
  );
}
