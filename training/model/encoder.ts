/**
 * The amortized encoder of math.md (Appendix D.3, Figs. 6-7; the authors' code):
 * x → Linear(D → 2D) → 2 residual blocks h ← h + Linear(3D → 2D)(ReLU(Linear(2D → 3D)(ReLU(h))))
 * → ν = Linear(2D → H)(h), τ = softplus(Linear(2D → H)(h)) + 10⁻³, and for the low-rank family
 * V = reshape(Linear(2D → H·r)(h), [H, r]) with τ used as d.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import type { Posterior } from '../objective/posterior.ts';
import { applyDense, createDense, type Dense } from './dense.ts';

export type AmortizedFamily = 'diag' | 'lowrank';

export interface EncoderConfig {
  /** data dimension D */
  d: number;
  /** latents H */
  h: number;
  family: AmortizedFamily;
  /** rank r of the low-rank family */
  rank: number;
  /** width of the residual stream (default 2D) */
  hidden: number;
  /** width inside each residual block (default 3D) */
  inner: number;
  /** number of residual blocks (default 2) */
  blocks: number;
}

export const MIN_STD = 1e-3;

export function defaultEncoderConfig(d: number, h: number, family: AmortizedFamily, rank = 5): EncoderConfig {
  return { d, h, family, rank, hidden: 2 * d, inner: 3 * d, blocks: 2 };
}

/**
 * The posterior from the heads' outputs: ν, τ = softplus(std head) + MIN_STD and, for the low-rank
 * family, V [B, H, r] from the factor head. @param factor null for the diagonal family
 */
export function headsPosterior(
  config: EncoderConfig,
  mean: tf.Tensor2D,
  std: tf.Tensor2D,
  factor: tf.Tensor2D | null,
): Posterior {
  const scale: tf.Tensor2D = tf.add(tf.softplus(std), MIN_STD);
  if (!factor) return { family: 'diag', mean, std: scale };
  return {
    family: 'lowrank',
    mean,
    factor: tf.reshape(factor, [mean.shape[0], config.h, config.rank]) as tf.Tensor3D,
    diagStd: scale,
  };
}

export class Encoder {
  readonly input: Dense;
  readonly blocks: Array<{ expand: Dense; project: Dense }>;
  readonly meanHead: Dense;
  readonly stdHead: Dense;
  readonly factorHead: Dense | null;

  constructor(
    readonly config: EncoderConfig,
    seed: number,
  ) {
    const rng = new Random(seed);
    const { d, h, hidden, inner } = config;
    this.input = createDense(d, hidden, rng);
    this.blocks = Array.from({ length: config.blocks }, () => ({
      expand: createDense(hidden, inner, rng),
      project: createDense(inner, hidden, rng),
    }));
    this.meanHead = createDense(hidden, h, rng);
    this.stdHead = createDense(hidden, h, rng);
    this.factorHead = config.family === 'lowrank' ? createDense(hidden, h * config.rank, rng) : null;
  }

  /** Every trainable variable, in a fixed order (checkpoints and ONNX export rely on it). */
  variables(): tf.Variable[] {
    const layers = [this.input, ...this.blocks.flatMap((b) => [b.expand, b.project]), this.meanHead, this.stdHead];
    if (this.factorHead) layers.push(this.factorHead);
    return layers.flatMap((l) => [l.weight, l.bias]);
  }

  /** @param x [B, D] @returns the posterior of every point */
  forward(x: tf.Tensor2D): Posterior {
    let hidden = applyDense(this.input, x, true);
    for (const block of this.blocks) {
      const inner = tf.relu(applyDense(block.expand, tf.relu(hidden)));
      hidden = tf.add(hidden, applyDense(block.project, inner));
    }
    return headsPosterior(
      this.config,
      applyDense(this.meanHead, hidden),
      applyDense(this.stdHead, hidden),
      this.factorHead && applyDense(this.factorHead, hidden),
    );
  }

  dispose(): void {
    tf.dispose(this.variables());
  }
}
