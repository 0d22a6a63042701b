/**
 * Entry of an encode worker for an image model (export --image): loads it with onnxruntime, reports
 * its outputs' shapes per image (-1 for the sizes that follow the image's), then encodes one batch
 * of equal-size uint8 images [rows, height, width, channels] per message (encode-worker-loop.ts, as
 * encode-worker.ts does for patch models).
 */
import { UserError } from '@entropy-sc/core/errors';
import { readModelFile } from '@entropy-sc/inference/card';
import { loadModel } from '@entropy-sc/inference/model';
import { serveEncodeJobs } from '../encode-worker-loop.ts';
import type { ModelInfo, Outputs } from '../model-info.ts';

await serveEncodeJobs(async (init) => {
  const model = await loadModel(init.modelPath, {
    provider: init.provider,
    intraOpThreads: init.threads,
    spinning: false,
  });
  if (model.kind !== 'image') throw new UserError(`${init.modelPath} is not an image model`);
  const graph = (await readModelFile(init.modelPath)).model.graph!;
  const rowShapes: ModelInfo['rowShapes'] = {};
  for (const output of graph.output ?? [])
    if ((model.outputs as readonly string[]).includes(output.name ?? ''))
      rowShapes[output.name as keyof ModelInfo['rowShapes']] = (output.type?.tensorType?.shape?.dim ?? [])
        .slice(1)
        .map((dim) => (dim.dimParam ? -1 : Number(dim.dimValue)));
  return {
    info: { card: model.card, d: model.d, h: model.h, outputs: [...model.outputs], rowShapes },
    async run(job) {
      // The main thread checked the images (checkImage) and the output names.
      const [count, height, width, channels] = job.shape as [number, number, number, number];
      const size = height * width * channels;
      const x = job.x as Uint8Array;
      const images = Array.from({ length: count }, (_, b) => ({
        name: `image ${b}`,
        width,
        height,
        channels,
        data: x.subarray(b * size, (b + 1) * size),
      }));
      const codes = await model.encodeImages(images, { outputs: job.outputs });
      const outputs: Outputs = {};
      for (const name of job.outputs) {
        const perImage = codes[0]!.outputs[name]!.shape;
        const one = perImage.reduce((a, c) => a * c, 1);
        const data = new Float32Array(count * one);
        codes.forEach((c, b) => data.set(c.outputs[name]!.data, b * one));
        outputs[name] = { data, shape: [count, ...perImage] };
      }
      return outputs;
    },
  };
});
