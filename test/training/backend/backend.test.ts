/**
 * Backends (`--backend`): the cpu backend computes the same objective as wasm; tensorflow and
 * unknown names fail with one clear line. webgpu has its own files (test/training/webgpu*.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../training/backend/backend.ts';
import { annealedObjective, batchEntropies } from '../../../training/objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';
import { randomProblem, relativeError, toTensors } from '../../helpers/random-problem.ts';

function objectiveValue(): number {
  const p = randomProblem(5, 'lowrank', 64, 10, 8, 2);
  return tf.tidy(() => {
    const { x, w, q } = toTensors(p);
    return annealedObjective(batchEntropies(pointStatistics(x, normalizeColumns(w), q), 10)).dataSync()[0]!;
  });
}

describe('backends', () => {
  afterAll(() => useBackend('wasm'));

  it('cpu and wasm agree on the objective', async () => {
    await useBackend('wasm');
    const wasm = objectiveValue();
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(relativeError(objectiveValue(), wasm)).toBeLessThan(1e-5);
  });

  it('names the choices for an unknown backend', async () => {
    await expect(useBackend('tpu')).rejects.toThrow(
      'unsupported backend: tpu. Should be one of: wasm, cpu, webgpu, tensorflow',
    );
  });

  it('explains how to get the tensorflow backend when tfjs-node is not installed', async () => {
    await expect(useBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node.*npm/);
  });
});
