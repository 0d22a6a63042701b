/**
 * Entry of an encode worker for an image model (export --image): loads it with onnxruntime, reports
 * its outputs' shapes per image (-1 for the sizes that follow the image's), then encodes one batch
 * of equal-size uint8 images [rows, height, width, channels] per message, speaking the protocol of
 * worker-protocol.ts as encode-worker.ts does for patch models.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import { readModelFile } from '@entropy-sc/inference/card';
import { loadModel } from '@entropy-sc/inference/model';
import type { ModelInfo, Outputs } from '../model-info.ts';
import type { EncodeJob, WorkerInit, WorkerMessage } from '../worker-protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    port.postMessage(message);
  }
}

try {
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
  send({ type: 'ready', info: { card: model.card, d: model.d, h: model.h, outputs: [...model.outputs], rowShapes } });
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (job: EncodeJob) => {
    previous = previous.then(async () => {
      try {
        // The main thread checked the images (checkImage) and the output names.
        const [count, height, width, channels] = job.shape!;
        const size = height! * width! * channels!;
        const x = job.x as Uint8Array;
        const images = Array.from({ length: count! }, (_, b) => ({
          name: `image ${b}`,
          width: width!,
          height: height!,
          channels: channels!,
          data: x.subarray(b * size, (b + 1) * size),
        }));
        const codes = await model.encodeImages(images, { outputs: job.outputs });
        const outputs: Outputs = {};
        for (const name of job.outputs) {
          const perImage = codes[0]!.outputs[name]!.shape;
          const one = perImage.reduce((a, c) => a * c, 1);
          const data = new Float32Array(count! * one);
          codes.forEach((c, b) => data.set(c.outputs[name]!.data, b * one));
          outputs[name] = { data, shape: [count!, ...perImage] };
        }
        send(
          { type: 'done', id: job.id, outputs },
          Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer),
        );
      } catch (error) {
        send({ type: 'error', id: job.id, message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
} catch (error) {
  send({
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
    userError: error instanceof UserError,
  });
}
