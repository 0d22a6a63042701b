/**
 * Entry of a statistics worker thread (statistics-pool.ts): holds one-thread onnxruntime sessions of
 * the graphs it is sent, runs the batches it is sent through them and posts back their statistics
 * and the Gini indices of their draws. No TensorFlow.js here: the thread starts in well under a
 * second.
 */
import { parentPort } from 'node:worker_threads';
import { Random } from '@entropy-sc/core/random';
import { openGraphSession, type GraphSession, type Tensor } from '@entropy-sc/inference/graph-session';
import type { AmortizedPosteriorArrays } from '../objective/sample-posterior-arrays.ts';
import { drawGini } from './gini-draws.ts';
import type { StatisticsAnswer, StatisticsOrder, StatisticsReply } from './statistics-pool.ts';

const sessions = new Map<number, GraphSession>();

parentPort!.on('message', async (order: StatisticsOrder) => {
  try {
    parentPort!.postMessage(await answer(order));
  } catch (error) {
    parentPort!.postMessage({
      id: order.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies StatisticsReply);
  }
});
parentPort!.postMessage('ready');

async function answer(order: StatisticsOrder): Promise<StatisticsAnswer> {
  const { id } = order;
  if (order.kind === 'open')
    sessions.set(order.graph, await openGraphSession(order.bytes, { intraOpThreads: 1, spinning: false }));
  if (order.kind === 'release') {
    await sessions.get(order.graph)?.release();
    sessions.delete(order.graph);
  }
  if (order.kind !== 'run') return { id };
  const session = sessions.get(order.graph);
  if (!session) throw new Error(`statistics worker: graph ${order.graph} is not open`);
  const { rows, count, rng } = order.draws;
  const out = await session.run(order.x, order.rows, order.x.length / order.rows, [
    ...order.statistics,
    ...(rows.length > 0 ? order.posterior : []),
  ]);
  const statistics = Object.fromEntries(order.statistics.map((name) => [name, out[name]!.data]));
  const gini =
    rows.length > 0
      ? drawGini(posteriorRows(out, rows), out['mean']!.shape[1]!, count, new Random(rng))
      : new Float64Array(0);
  return { id, statistics, gini };
}

/** The posteriors of a batch's `rows`, from the statistics graph's outputs. */
function posteriorRows(out: Record<string, Tensor>, rows: readonly number[]): AmortizedPosteriorArrays {
  const gather = (t: Tensor) => {
    const width = t.data.length / t.shape[0]!;
    const values = new Float32Array(rows.length * width);
    rows.forEach((row, i) => values.set(t.data.subarray(row * width, (row + 1) * width), i * width));
    return values;
  };
  const mean = gather(out['mean']!);
  const factor = out['cov_factor'];
  if (factor)
    return {
      family: 'lowrank',
      mean,
      factor: gather(factor),
      diagStd: gather(out['cov_diag']!).map(Math.sqrt),
      rank: factor.shape[2]!,
    };
  return { family: 'diag', mean, std: gather(out['variance']!).map(Math.sqrt) };
}
