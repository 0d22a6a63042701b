/**
 * The encode worker pool on a real onnxruntime worker: rows given as a view into a larger buffer
 * (a request body's) encode as the library encodes them, and each batch's rows buffer comes back
 * for the next batch instead of a fresh one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, type OnnxEncoderModel } from '@entropy-sc/inference/model';
import { WorkerPool } from '../../service/worker-pool.ts';

const MODEL = new URL('./fixtures/tiny-lowrank.onnx', import.meta.url).pathname;

describe('WorkerPool', () => {
  let pool: WorkerPool;
  let library: OnnxEncoderModel;
  beforeAll(async () => {
    pool = await WorkerPool.start({ modelPath: MODEL, workers: 1, threadsPerWorker: 1 });
    library = await loadEncoder(MODEL, { intraOpThreads: 1 });
  });
  afterAll(async () => {
    await pool.close();
    await library.close();
  });

  it('encodes rows that are a view at an offset of a larger buffer, and hands that buffer back for reuse', async () => {
    const d = pool.info.d;
    const rows = 3;
    // 5 floats before the rows and the rest after them, as a body's header and padding would be.
    const buffer = new ArrayBuffer(4096);
    const x = new Float32Array(buffer, 5 * 4, rows * d);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i);
    const marker = 0x5eed;
    new Uint32Array(buffer)[1023] = marker;
    const same = x.slice();
    const got = await pool.run(x, rows, ['mean', 'elbo']);
    const want = await library.encode(same, rows, ['mean', 'elbo']);
    expect(Array.from(got.mean!.data)).toEqual(Array.from(want.mean!.data));
    expect(Array.from(got.elbo!.data)).toEqual(Array.from(want.elbo!.data));
    // The rows moved to the worker, and their whole buffer came back to the pool, marker and all.
    expect(buffer.byteLength).toBe(0);
    const reused = pool.buffers.take(3000);
    expect(new Uint32Array(reused)[1023]).toBe(marker);
    expect(new Uint32Array(pool.buffers.take(3000))[1023]).toBe(0);
  });
});
