/**
 * Entry of an encode worker thread: loads the model with onnxruntime (whose run() blocks its thread,
 * which is why it lives here and not on the event loop), reports what the model offers, then
 * encodes one batch per message (encode-worker-loop.ts).
 */
import { loadEncoder } from '@entropy-sc/inference/model';
import { serveEncodeJobs } from './encode-worker-loop.ts';
import { checkWarmUp } from './model-check.ts';
import type { ModelInfo } from './model-info.ts';

await serveEncodeJobs(async (init) => {
  const model = await loadEncoder(init.modelPath, {
    provider: init.provider,
    intraOpThreads: init.threads,
    spinning: false,
  });
  const rowShapes: ModelInfo['rowShapes'] = {};
  for (const name of model.outputs) rowShapes[name] = model.outputShape(name);
  // One row first, so that the first request does not pay for onnxruntime's warm-up.
  checkWarmUp(await model.run(new Float32Array(model.d), 1, model.outputs), rowShapes, init.modelPath);
  return {
    info: { card: model.card, d: model.d, h: model.h, outputs: [...model.outputs], rowShapes },
    // The main thread validated the rows and the output names: run() skips the checks.
    run: (job) => model.run(job.x as Float32Array, job.rows, job.outputs),
  };
});
