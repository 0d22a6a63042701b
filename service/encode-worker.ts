/**
 * Entry of an encode worker thread: loads the model with onnxruntime (whose run() blocks its thread,
 * which is why it lives here and not on the event loop), reports what the model offers, then
 * encodes one batch per message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import { readModelFile } from '@entropy-sc/inference/card';
import { loadEncoder } from '@entropy-sc/inference/model';
import { checkGraphAgainstCard, checkWarmUp } from './model-check.ts';
import type { ModelInfo, Outputs } from './model-info.ts';
import type { EncodeJob, WorkerInit, WorkerMessage } from './worker-protocol.ts';

const init = workerData as WorkerInit;
const port = parentPort!;
/** Transfers the outputs' buffers where onnxruntime allows it, copies them where it does not. */
function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    port.postMessage(message);
  }
}

try {
  const file = await readModelFile(init.modelPath);
  checkGraphAgainstCard(file.model, file.card, init.modelPath);
  const model = await loadEncoder(init.modelPath, {
    provider: init.provider,
    intraOpThreads: init.threads,
    spinning: false,
  });
  const rowShapes: ModelInfo['rowShapes'] = {};
  for (const name of model.outputs) rowShapes[name] = model.outputShape(name);
  // One row first, so that the first request does not pay for onnxruntime's warm-up.
  checkWarmUp(await model.run(new Float32Array(model.d), 1, model.outputs), rowShapes, init.modelPath);
  send({ type: 'ready', info: { card: model.card, d: model.d, h: model.h, outputs: [...model.outputs], rowShapes } });
  // The pool may send the next batch before this one is done: one run at a time, in order.
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (job: EncodeJob) => {
    previous = previous.then(async () => {
      try {
        // The main thread validated the rows and the output names: run() skips the checks.
        const outputs: Outputs = await model.run(job.x as Float32Array, job.rows, job.outputs);
        send({ type: 'done', id: job.id, outputs }, [
          ...new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer)),
        ]);
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
