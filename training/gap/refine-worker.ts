/**
 * Entry of a refinement worker thread (refine-pool.ts): registers its tfjs backend, then refines
 * each batch it is sent with the frozen model it was started with and posts the result back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../backend/backend.ts';
import type { FrozenModel } from '../artifacts/frozen-model.ts';
import { refineBatch } from './refine-batch.ts';
import type { RefineJob } from './refine-pool.ts';

const init = workerData as { backend: string; model: FrozenModel };
await useBackend(init.backend);
parentPort!.on('message', (job: RefineJob) => {
  try {
    const result = refineBatch(job.x, init.model, job.start, job.target, job.options);
    parentPort!.postMessage({ id: job.id, result });
  } catch (error) {
    parentPort!.postMessage({
      id: job.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
});
parentPort!.postMessage('ready');
