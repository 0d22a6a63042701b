/**
 * The amortized encoder of math.md (Appendix D.3, Figs. 6-7; the authors' code) in TensorFlow.js:
 * x → Linear(D → 2D) → 2 residual blocks h ← h + Linear(3D → 2D)(ReLU(Linear(2D → 3D)(ReLU(h))))
 * → ν = Linear(2D → H)(h), τ = softplus(Linear(2D → H)(h)) + 10⁻³, and for the low-rank family
 * V = reshape(Linear(2D → H·r)(h), [H, r]) with τ used as d. Its layers are those of
 * @entropy-sc/graph/encoder-spec's table.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import type { Posterior } from '../objective/posterior.ts';
import { layerShapes, MIN_STD, type EncoderConfig } from '@entropy-sc/graph/encoder-spec';
import { applyDense, createDense, type Dense } from './dense.ts';

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
    // drawn in the table's order, which is also the order of variables()
    const layers = layerShapes(config).map((l) => createDense(l.inputs, l.outputs, rng));
    const at = (i: number) => layers[i]!;
    this.input = at(0);
    this.blocks = Array.from({ length: config.blocks }, (_, k) => ({ expand: at(1 + 2 * k), project: at(2 + 2 * k) }));
    this.meanHead = at(1 + 2 * config.blocks);
    this.stdHead = at(2 + 2 * config.blocks);
    this.factorHead = config.family === 'lowrank' ? at(3 + 2 * config.blocks) : null;
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
