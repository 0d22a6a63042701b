/**
 * The statistics graph (@entropy-sc/graph/statistics-graph.ts) under onnxruntime on every core, a whole batch
 * per core: one worker thread per core, each with one-thread sessions of its own, drawing the Gini
 * samples of its batches itself. On the two cores of the development VM the evaluation of the
 * default data (50 000 × 256, diag) took ~2.0-2.2 s so, against ~2.3-2.4 s with one session of two
 * intra-op threads on the calling thread and the draws there after each batch: the draws, a fifth
 * of the work, now run beside the other core's batches. The workers start once per process (about
 * 0.7 s, unref'd so that they never keep it alive) and outlive evaluations; each evaluation opens
 * its graph in all of them.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { nextMessage, startTsWorker } from '@entropy-sc/core/worker/ts-worker';
import type { GiniDraws } from './evaluate-data-set.ts';

/** A worker's orders (statistics-worker.ts); it answers each with a reply of the same id. */
export type StatisticsOrder = { id: number } & (
  | { kind: 'open'; graph: number; bytes: Uint8Array }
  | { kind: 'release'; graph: number }
  /** @param x rows [rows, D] @param draws the Gini draws of the batch's points of the subset */
  | ({ kind: 'run'; graph: number; x: Float32Array; rows: number; draws: GiniDraws } & PooledOutputs)
);

/** the answer to a run carries its batch's outputs */
export type StatisticsAnswer = { id: number } & Partial<StatisticsBatch>;

export type StatisticsReply = StatisticsAnswer | { id: number; error: string };

/** One batch's results: the statistics of every row by output name, the Gini indices of its draws. */
export interface StatisticsBatch {
  statistics: Record<string, Float32Array>;
  /** in the order of GiniSampling's draws */
  gini: Float64Array;
}

export interface PooledGraph {
  /** batches that keep every worker busy while the caller reads earlier ones */
  readonly depth: number;
  /** @param x rows [rows, D], handed over (its buffer is transferred) */
  run(x: Float32Array, rows: number, draws: GiniDraws): Promise<StatisticsBatch>;
  release(): Promise<void>;
}

/** The graph's outputs: the statistics of every row, the posterior's (`mean`, `variance` or `cov_factor`, `cov_diag`) for the draws. */
export interface PooledOutputs {
  statistics: readonly string[];
  posterior: readonly string[];
}

let shared: Promise<Worker[]> | null = null;
let nextId = 0;
/** orders sent and not yet answered, per worker */
const busy = new Map<Worker, number>();

/** Opens the graph `bytes` in every worker of the process's pool (started on the first call). */
export async function openPooledGraph(bytes: Uint8Array, outputs: PooledOutputs): Promise<PooledGraph> {
  const workers = await (shared ??= startPool());
  const graph = nextId++;
  const release = async () => {
    await Promise.all(workers.map((w) => order(w, { id: nextId++, kind: 'release', graph })));
  };
  const opened = await Promise.allSettled(workers.map((w) => order(w, { id: nextId++, kind: 'open', graph, bytes })));
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    await release().catch(() => undefined); // the open's error is the one to report
    throw failed.reason;
  }
  return {
    depth: 2 * workers.length,
    run: async (x, rows, draws) => {
      const worker = workers.reduce((a, b) => ((busy.get(b) ?? 0) < (busy.get(a) ?? 0) ? b : a));
      const reply = await order(worker, { id: nextId++, kind: 'run', graph, x, rows, draws, ...outputs }, [
        x.buffer as ArrayBuffer,
      ]);
      return { statistics: reply.statistics!, gini: reply.gini! };
    },
    release,
  };
}

async function startPool(): Promise<Worker[]> {
  const workers = Array.from({ length: availableParallelism() }, () =>
    startTsWorker(new URL('./statistics-worker.ts', import.meta.url), null, { unref: true }),
  );
  // a pool that loses a worker is ended: the next evaluation starts a new one
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    shared = null;
    for (const w of workers) {
      busy.delete(w);
      void w.terminate();
    }
  };
  for (const w of workers) {
    busy.set(w, 0);
    w.once('exit', end);
  }
  try {
    await Promise.all(workers.map((w) => nextMessage(w, 'statistics worker')));
  } catch (error) {
    end();
    throw error;
  }
  return workers;
}

/** Sends `message` to `worker` and waits for its reply (its error, or the worker's, rejects). */
function order(worker: Worker, message: StatisticsOrder, transfer: ArrayBuffer[] = []): Promise<StatisticsAnswer> {
  const count = (change: number) => busy.has(worker) && busy.set(worker, busy.get(worker)! + change);
  count(1);
  return new Promise<StatisticsAnswer>((resolve, reject) => {
    const settle = () => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      count(-1);
    };
    const onMessage = (reply: StatisticsReply) => {
      if (reply.id !== message.id) return;
      settle();
      if ('error' in reply) reject(new Error(`statistics worker: ${reply.error}`));
      else resolve(reply);
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onExit = (code: number) => onError(new Error(`statistics worker exited (code ${code})`));
    worker.on('message', onMessage).once('error', onError).once('exit', onExit);
    worker.postMessage(message, transfer);
  });
}
