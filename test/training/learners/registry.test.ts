/**
 * The learner table against the run configuration: a combination has a learner exactly where
 * resolveRunConfig accepts it, its worker default is defaultWorkers', each legal combination has
 * exactly one learner, and `createLearner` builds the row's learner.
 */
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { loadDataSet } from '../../../src/data/data-set.ts';
import { defaultWorkers, resolveRunConfig } from '../../../src/schema/run-config.ts';
import { BACKENDS } from '../../../training/backend/backend.ts';
import { createLearner, LEARNERS, learnerFor } from '../../../training/learners/registry.ts';
import { EmLearner } from '../../../training/learners/em-learner.ts';
import { GroundTruthScored } from '../../../training/learners/ground-truth.ts';
import { NativeAmortizedLearner } from '../../../training/learners/native-amortized-learner.ts';
import type { PosteriorFamily } from '../../../training/objective/posterior.ts';

const families: PosteriorFamily[] = ['diag', 'lowrank', 'full'];

describe('learner registry', () => {
  for (const backend of BACKENDS)
    for (const family of families)
      for (const amortized of [true, false])
        it(`${backend}, ${family}, ${amortized ? 'amortized' : 'non-amortized'}: legal where the run config is`, () => {
          let legal = true;
          try {
            resolveRunConfig({ data: 'bars', latents: 10, posterior: family, amortized, backend });
          } catch {
            legal = false;
          }
          for (const joint of [true, false]) {
            const row = learnerFor({ backend, family, amortized, joint });
            expect(row !== null).toBe(legal);
            const matching = LEARNERS.filter(
              (r) =>
                r.amortized === amortized &&
                r.backends.includes(backend) &&
                r.families.includes(family) &&
                (r.size === 'any' || (r.size === 'joint') === joint),
            );
            expect(matching).toHaveLength(legal ? 1 : 0);
            if (row) {
              const workers = row.workers === 'cores' ? availableParallelism() : 1;
              expect(workers).toBe(defaultWorkers(backend, amortized));
            }
          }
        });

  it('createLearner builds the row of the config: onnxruntime on wasm, EM-like for bars too large to fit jointly', async () => {
    const amortized = resolveRunConfig({ data: 'bars', latents: 10, samples: 64, backend: 'wasm', workers: 1 });
    const data = await loadDataSet(amortized.data, amortized.seed);
    const native = await createLearner(amortized, data);
    expect(native).toBeInstanceOf(NativeAmortizedLearner);
    native.dispose();
    const em = resolveRunConfig({
      data: 'bars',
      latents: 10,
      samples: 20_000,
      posterior: 'full',
      amortized: false,
      backend: 'wasm',
    });
    const big = await loadDataSet(em.data, em.seed);
    const learner = await createLearner(em, big);
    expect(learner).toBeInstanceOf(GroundTruthScored);
    expect((learner as unknown as { learner: unknown }).learner).toBeInstanceOf(EmLearner);
    learner.dispose();
  });
});
