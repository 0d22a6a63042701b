/**
 * The process-wide pool of statistics workers (evaluate/statistics-pool.ts) that the amortized
 * learners' evaluation runs on: evaluations at the same time keep to their own graphs, a graph the
 * workers cannot open fails with their error and leaves the pool usable, and a process that has
 * evaluated ends by itself.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { AmortizedLearner } from '../../../training/learners/amortized-learner.ts';
import type { EvaluationInput } from '../../../training/evaluate/evaluate-data-set.ts';
import { openPooledGraph } from '../../../training/evaluate/statistics-pool.ts';

const D = 16;
const H = 8;
const N = 2100;
const rng = new Random(6);
const x = Float32Array.from({ length: N * D }, () => rng.normal());

const learners = (['diag', 'lowrank'] as const).map(
  (family, k) =>
    new AmortizedLearner({
      encoder: { d: D, h: H, family, rank: 2, hidden: 24, inner: 32, blocks: 1 },
      batch: 100,
      learningRate: 1e-3,
      dictionaryLearningRate: 1e-2,
      seed: k,
    }),
);
afterAll(() => learners.forEach((l) => l.dispose()));
const input = (learner: AmortizedLearner): EvaluationInput => ({
  x,
  n: N,
  d: D,
  w: learner.dictionary,
  posterior: (xb) => learner.posterior(xb),
  seed: 4,
  batch: 300,
  giniPoints: 500,
});

describe('statistics workers', () => {
  it('two evaluations at the same time report what each does alone', async () => {
    const alone = [];
    for (const learner of learners) alone.push(await learner.evaluate(input(learner)));
    const together = await Promise.all(learners.map((learner) => learner.evaluate(input(learner))));
    expect(together).toEqual(alone);
  });

  it('a graph the workers cannot open fails with their error, and the next evaluation runs', async () => {
    await expect(openPooledGraph(new Uint8Array([1, 2, 3]), { statistics: [], posterior: [] })).rejects.toThrow(
      /statistics worker/,
    );
    const report = await learners[0]!.evaluate(input(learners[0]!));
    expect(Number.isFinite(report.elbo)).toBe(true);
  });

  it('a process that has evaluated ends by itself', () => {
    const child = spawnSync(
      process.execPath,
      [
        join(import.meta.dirname, '../../../bin/run-ts.js'),
        join(import.meta.dirname, '../../helpers/evaluate-and-return.ts'),
      ],
      { encoding: 'utf8', timeout: 50_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^elbo -?\d/);
  });
});
