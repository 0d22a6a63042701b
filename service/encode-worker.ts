/**
 * Entry of an encode worker thread: loads the model with onnxruntime (whose run() blocks its thread,
 * which is why it lives here and not on the event loop), reports what the model offers, then
 * encodes one batch per message (encode-worker-loop.ts).
 */
import { loadEncoder } from '@entropy-sc/inference/model';
import { serveEncodeJobs } from './encode-worker-loop.ts';
import { checkWarmUp } from './model-check.ts';
import type { ModelInfo } from './model-info.ts';

/** the warm-up's largest run, whatever the batch size (its memory stays with onnxruntime) */
const WARM_UP_ROWS = 4096;

await serveEncodeJobs(async (init) => {
  const model = await loadEncoder(init.modelPath, {
    provider: init.provider,
    intraOpThreads: init.threads,
    spinning: false,
    maxRowsPerRun: init.maxRowsPerRun,
  });
  const rowShapes: ModelInfo['rowShapes'] = {};
  for (const name of model.outputs) rowShapes[name] = model.outputShape(name);
  // One row first, so that the first request does not pay for onnxruntime's warm-up; then a largest
  // run, so that onnxruntime's working memory is part of the service's base from the start.
  checkWarmUp(await model.run(new Float32Array(model.d), 1, model.outputs), rowShapes, init.modelPath);
  const full = Math.min(init.maxRowsPerRun ?? 1, WARM_UP_ROWS);
  if (full > 1) await model.run(new Float32Array(full * model.d), full, model.outputs);
  return {
    info: { card: model.card, d: model.d, h: model.h, outputs: [...model.outputs], rowShapes },
    // The main thread validated the rows and the output names: run() skips the checks.
    run: (job) => model.run(job.x as Float32Array, job.rows, job.outputs),
  };
});
