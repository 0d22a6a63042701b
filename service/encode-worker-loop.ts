/**
 * The message loop every encode worker shares (worker-protocol.ts): load the model, report it
 * ('ready', or 'failed' naming why), then run one job per message, one at a time and in order (the
 * pool may send the next batch before this one is done), answering 'done' with the outputs'
 * buffers transferred and the rows' buffer handed back for reuse, or 'error'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '@entropy-sc/core/errors';
import type { ModelInfo, Outputs } from './model-info.ts';
import type { EncodeJob, WorkerInit, WorkerMessage } from './worker-protocol.ts';

export interface LoadedWorkerModel {
  info: ModelInfo;
  run(job: EncodeJob): Promise<Outputs>;
}

export async function serveEncodeJobs(load: (init: WorkerInit) => Promise<LoadedWorkerModel>): Promise<void> {
  const port = parentPort!;
  /** Transfers the outputs' buffers where onnxruntime allows it, copies them where it does not. */
  const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => {
    try {
      port.postMessage(message, transfer);
    } catch {
      port.postMessage(message);
    }
  };
  const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let model: LoadedWorkerModel;
  try {
    model = await load(workerData as WorkerInit);
  } catch (error) {
    send({ type: 'failed', message: describe(error), userError: error instanceof UserError });
    return;
  }
  send({ type: 'ready', info: model.info });
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (job: EncodeJob) => {
    previous = previous.then(async () => {
      try {
        const outputs = await model.run(job);
        const spent = job.x.buffer as ArrayBuffer;
        const buffers = new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer));
        if (buffers.has(spent)) send({ type: 'done', id: job.id, outputs }, [...buffers]);
        else send({ type: 'done', id: job.id, outputs, spent }, [...buffers, spent]);
      } catch (error) {
        send({ type: 'error', id: job.id, message: describe(error) });
      }
    });
  });
}
