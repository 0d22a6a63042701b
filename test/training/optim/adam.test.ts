/** Adam against a float64 re-implementation of PyTorch's rule, and exact continuation from its state. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Adam } from '../../../training/optim/adam.ts';

const target = [3, -1, 0.5];
const loss = (x: tf.Tensor) => tf.sum(tf.square(tf.sub(x, tf.tensor1d(target)))) as tf.Scalar;

function referenceAdam(steps: number, lr: number): number[] {
  const x = [0, 0, 0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  for (let t = 1; t <= steps; t++)
    for (let i = 0; i < 3; i++) {
      const g = 2 * (x[i]! - target[i]!);
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      x[i]! -= (lr / (1 - 0.9 ** t)) * (m[i]! / denom);
    }
  return x;
}

describe('Adam', () => {
  it('follows the float64 reference rule', () => {
    const x = tf.variable(tf.zeros([3]));
    const adam = new Adam([x], { learningRate: 0.05 });
    for (let i = 0; i < 50; i++) adam.update(() => loss(x)).dispose();
    const expected = referenceAdam(50, 0.05);
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    adam.dispose();
    x.dispose();
  });

  it('maximises when asked and returns the objective before the step', () => {
    const x = tf.variable(tf.zeros([3]));
    const adam = new Adam([x], { learningRate: 0.1 });
    const first = adam.update(() => tf.neg(loss(x)) as tf.Scalar, 'maximize');
    expect(first.dataSync()[0]).toBeCloseTo(-(9 + 1 + 0.25), 5);
    for (let i = 0; i < 300; i++) adam.update(() => tf.neg(loss(x)) as tf.Scalar, 'maximize').dispose();
    Array.from(x.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 1));
    tf.dispose([first, x]);
    adam.dispose();
  });

  it('continues bit for bit from a saved state', () => {
    const run = (split: boolean) => {
      const x = tf.variable(tf.zeros([3]));
      let adam = new Adam([x], { learningRate: 0.05 });
      for (let i = 0; i < 20; i++) {
        if (split && i === 7) {
          const state = adam.getState();
          const saved = x.dataSync().slice();
          adam.dispose();
          x.assign(tf.tensor1d(saved));
          adam = new Adam([x], { learningRate: 0.05 });
          adam.setState(state);
        }
        adam.update(() => loss(x)).dispose();
      }
      const out = Array.from(x.dataSync());
      adam.dispose();
      x.dispose();
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('leaks no tensors', () => {
    const x = tf.variable(tf.zeros([3]));
    const adam = new Adam([x], { learningRate: 0.05 });
    adam.update(() => loss(x)).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) adam.update(() => loss(x)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    adam.dispose();
    x.dispose();
  });
});
