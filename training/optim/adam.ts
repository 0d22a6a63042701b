/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule, over tf.Variables. Its whole state is the step
 * count and the two moment tensors, with bias corrections computed in float64 from the step count,
 * so a checkpointed optimiser continues bit for bit (tfjs's own Adam recomputes β^t differently
 * after setWeights).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  /** one rate for all variables, or one per variable (PyTorch's parameter groups) */
  learningRate: number | number[];
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  step: number;
  /** first and second moments, one per variable, in the variables' order */
  moments: Array<{ m: Float32Array; v: Float32Array }>;
}

export class Adam {
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly variables: tf.Variable[],
    private readonly options: AdamOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.m = variables.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = variables.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  /**
   * One step that maximises or minimises `objective` (a scalar of the variables).
   * @returns the objective's value before the step
   */
  update(objective: () => tf.Scalar, direction: 'minimize' | 'maximize' = 'minimize'): tf.Scalar {
    const sign = direction === 'minimize' ? 1 : -1;
    const { value, grads } = tf.variableGrads(() => tf.mul(sign, objective()) as tf.Scalar, this.variables);
    this.step += 1;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = Math.sqrt(1 - this.beta2 ** this.step);
    tf.tidy(() => {
      this.variables.forEach((x, i) => {
        const g = grads[x.name]!;
        const m = tf.add(tf.mul(this.beta1, this.m[i]!), tf.mul(1 - this.beta1, g));
        const v = tf.add(tf.mul(this.beta2, this.v[i]!), tf.mul(1 - this.beta2, tf.square(g)));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const denominator = tf.add(tf.div(tf.sqrt(v), correction2), this.epsilon);
        x.assign(tf.sub(x, tf.mul(this.rate(i) / correction1, tf.div(m, denominator))));
      });
    });
    tf.dispose(grads);
    const result = tf.mul(sign, value) as tf.Scalar;
    value.dispose();
    return result;
  }

  private rate(i: number): number {
    const lr = this.options.learningRate;
    return typeof lr === 'number' ? lr : lr[i]!;
  }

  getState(): AdamState {
    return {
      step: this.step,
      moments: this.m.map((m, i) => ({ m: m.dataSync() as Float32Array, v: this.v[i]!.dataSync() as Float32Array })),
    };
  }

  /** getState for GPU backends, which cannot read synchronously in Node. */
  async readState(): Promise<AdamState> {
    const read = (t: tf.Tensor) => t.data() as Promise<Float32Array>;
    const moments = await Promise.all(this.m.map(async (m, i) => ({ m: await read(m), v: await read(this.v[i]!) })));
    return { step: this.step, moments };
  }

  setState(state: AdamState): void {
    if (state.moments.length !== this.m.length) throw new Error('Adam.setState: wrong number of variables');
    this.step = state.step;
    state.moments.forEach(({ m, v }, i) => {
      this.m[i]!.assign(tf.tensor(m, this.m[i]!.shape));
      this.v[i]!.assign(tf.tensor(v, this.v[i]!.shape));
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
