/**
 * Posterior samples drawn from arrays (objective/sample-posterior-arrays.ts) against the tensors'
 * draws of objective/sample-posterior.ts from the same generator: the same float32 values (wasm, as
 * the tests run), both amortized families, and the generator left in the same state, normalsPerPoint
 * deviates per point further on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { posteriorTensors } from '../../../training/objective/posterior-arrays.ts';
import { samplePosterior } from '../../../training/objective/sample-posterior.ts';
import {
  normalsPerPoint,
  samplePosteriorArrays,
  type AmortizedPosteriorArrays,
} from '../../../training/objective/sample-posterior-arrays.ts';

const B = 7;
const H = 9;
const R = 3;
const rng = new Random(12);
const values = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());
const positive = (n: number) => Float32Array.from({ length: n }, () => Math.exp(rng.normal()));

const posteriors: AmortizedPosteriorArrays[] = [
  { family: 'diag', mean: values(B * H, 3), std: positive(B * H) },
  { family: 'lowrank', mean: values(B * H, 3), factor: values(B * H * R), diagStd: positive(B * H), rank: R },
];

describe('posterior samples from arrays', () => {
  for (const q of posteriors)
    it(`${q.family}: the draws of samplePosterior, three in a row from one generator`, () => {
      const fromTensors = new Random(5);
      const fromArrays = new Random(5);
      for (let draw = 0; draw < 3; draw++) {
        const expected = tf.tidy(() => samplePosterior(posteriorTensors(q, H), fromTensors).dataSync() as Float32Array);
        const actual = samplePosteriorArrays(q, H, fromArrays);
        expect(actual, `draw ${draw}`).toEqual(expected);
      }
      expect(fromArrays.state()).toEqual(fromTensors.state());
      const skipped = new Random(5);
      skipped.skipNormals(3 * B * normalsPerPoint(q.family, H, R));
      expect(skipped.state(), 'normalsPerPoint').toEqual(fromArrays.state());
    });
});
