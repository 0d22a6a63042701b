/** Entry of a ParallelAdam worker thread (parallel-adam.ts): updates its range at each order. */
import { parentPort, workerData } from 'node:worker_threads';
import { adamStep } from './flat-adam.ts';
import type { AdamOrder, AdamWorkerData } from './parallel-adam.ts';

const { buffers, offsets, from, to } = workerData as AdamWorkerData;
const state = {
  params: new Float32Array(buffers.params),
  m: new Float32Array(buffers.m),
  v: new Float32Array(buffers.v),
  offsets,
};
const gradient = new Float32Array(buffers.gradient);
parentPort!.on('message', ({ step, rates }: AdamOrder) => {
  try {
    adamStep(state, gradient, step, rates, from, to);
    parentPort!.postMessage(step);
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
parentPort!.postMessage(0);
