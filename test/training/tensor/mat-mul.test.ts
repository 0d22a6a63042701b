/**
 * The encoder's products against tfjs's own matMul and its autodiff gradients (an independent
 * implementation: transposed products): values and gradients agree, and dataMatMul gives no
 * gradient to its data operand.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../src/random.ts';
import { dataMatMul, matMul } from '../../../training/tensor/mat-mul.ts';

const rng = new Random(2);
const random = (rows: number, cols: number) =>
  tf.tensor2d(
    Float32Array.from({ length: rows * cols }, () => rng.normal()),
    [rows, cols],
  );

function maxRelativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let scale = 0;
  let difference = 0;
  for (let i = 0; i < y.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    difference = Math.max(difference, Math.abs(x[i]! - y[i]!));
  }
  return difference / scale;
}

describe('matrix products with plain-product gradients', () => {
  const x = random(7, 5);
  const w = tf.variable(random(5, 3));
  const target = random(7, 3);
  // a loss whose gradient reaches both operands non-trivially
  const loss = (product: tf.Tensor2D) => tf.sum(tf.square(tf.sub(product, target))) as tf.Scalar;

  it('matMul: the value and both gradients of tf.matMul', () => {
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(matMul(a as tf.Tensor2D, b as tf.Tensor2D)))([x, w]);
    const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)))([
      x,
      w,
    ]);
    expect(maxRelativeDifference(matMul(x, w), tf.matMul(x, w))).toBeLessThan(1e-6);
    ours.forEach((g, i) => expect(maxRelativeDifference(g, theirs[i]!)).toBeLessThan(1e-5));
  });

  it("dataMatMul: the value and the weights' gradient of tf.matMul, and no gradient for the data", () => {
    // the data made inside the differentiated function, as in a training step
    const ours = tf.variableGrads(() => loss(dataMatMul(tf.mul(x, 1), w)), [w]);
    const theirs = tf.variableGrads(() => loss(tf.matMul(x, w)), [w]);
    expect(maxRelativeDifference(dataMatMul(x, w), tf.matMul(x, w))).toBeLessThan(1e-6);
    expect(maxRelativeDifference(ours.grads[w.name]!, theirs.grads[w.name]!)).toBeLessThan(1e-5);
    expect(Math.abs(ours.value.dataSync()[0]! - theirs.value.dataSync()[0]!)).toBeLessThan(
      1e-5 * theirs.value.dataSync()[0]!,
    );
    expect(() => tf.grad((a: tf.Tensor) => loss(dataMatMul(a as tf.Tensor2D, w)))(x)).toThrow(/gradient/);
  });
});
