/**
 * The baseline of the pinned service rows: a bare onnxruntime session of the model (one intra-op
 * thread, no library code around it) running 1024-row batches for the given time; prints rows/s.
 * argv: model path, outputs (comma-separated), seconds. Run it pinned to the service's core.
 */
import * as ort from 'onnxruntime-node';

const [path, outputs, seconds] = process.argv.slice(-3) as [string, string, string];
const session = await ort.InferenceSession.create(path, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});
const d = Number((session.inputMetadata[0] as { shape?: number[] } | undefined)?.shape?.[1] ?? NaN);
const rows = 1024;
const x = new ort.Tensor(
  'float32',
  Float32Array.from({ length: rows * d }, (_, i) => Math.sin(0.1 * i)),
  [rows, d],
);
const fetches = outputs.split(',');
await session.run({ x }, fetches);
let done = 0;
const start = performance.now();
while (performance.now() - start < Number(seconds) * 1000) {
  await session.run({ x }, fetches);
  done++;
}
process.stdout.write(`${((done * rows) / ((performance.now() - start) / 1000)).toFixed(1)}\n`);
await session.release();
