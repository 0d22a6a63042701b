/**
 * `npm start`: the main job end to end on built-in data, in about a minute. It checks the objective
 * on the bars ground truth, then trains an amortized encoder and dictionary on patches of the
 * shipped natural images and leaves a complete run (pictures included) in runs/demo.
 */
import { rm } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { generateBars } from '@entropy-sc/core/data/bars';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { Random } from '@entropy-sc/core/random';
import { useBackend } from './backend.ts';
import { normalizeColumns, pointStatistics } from './objective/point-statistics.ts';
import { tidyRead } from './tensor/tidy-read.ts';
import { resolveRunConfig } from '@entropy-sc/core/schema/run-config';
import { train } from './train.ts';
import { accumulate } from './objective/accumulate.ts';

export interface DemoOptions {
  out: string;
  epochs: number;
  samples: number;
  latents: number;
  backend: string;
}

/**
 * The ELBO of bars data under a dictionary with posteriors centred on `mean` and spread 0.05.
 * @param w dictionary [D, H] row-major
 * @param mean posterior means [N, H] row-major
 */
export function elboWithMeans(x: Float32Array, n: number, d: number, w: Float32Array, h: number, mean: Float32Array): ElboReport {
  const accumulator = new ElboAccumulator(d, h);
  tf.tidy(() => {
    const s = pointStatistics(tf.tensor2d(x, [n, d]), normalizeColumns(tf.tensor2d(w, [d, h])), {
      family: 'diag',
      mean: tf.tensor2d(mean, [n, h]),
      std: tf.fill([n, h], 0.05),
    });
    accumulate(accumulator, s);
  });
  return accumulator.report();
}

/** Ground-truth bars with the generating latents as means, against a random dictionary with W̃ᵀx as means. */
export function barsSanityCheck(seed = 1): { groundTruth: number; random: number } {
  const bars = generateBars({ size: 5, samples: 1000, noise: 0.1, seed });
  const { n, d, h } = bars;
  // W̃ has unit columns and each bar has norm √size, so the generating latents scale by √size.
  const truth = elboWithMeans(bars.x, n, d, Float32Array.from(bars.w), h, Float32Array.from(bars.z, (z) => z * Math.sqrt(5)));
  const rng = new Random(seed + 1);
  const w = Float32Array.from({ length: d * h }, () => rng.normal());
  const mean = tidyRead(() => tf.matMul(tf.tensor2d(bars.x, [n, d]), normalizeColumns(tf.tensor2d(w, [d, h]))));
  return { groundTruth: truth.elbo, random: elboWithMeans(bars.x, n, d, w, h, mean).elbo };
}

export async function demo(options: DemoOptions): Promise<void> {
  await useBackend(options.backend);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const check = barsSanityCheck();
  log(`bars 5×5, N=1000: ELBO of the ground-truth dictionary ${check.groundTruth.toFixed(3)} vs a random one ${check.random.toFixed(3)}`);
  await rm(options.out, { recursive: true, force: true });
  log(`training an amortized encoder on ${options.samples} whitened 16×16 patches of the shipped images (H=${options.latents}, ${options.epochs} epochs) into ${options.out}`);
  const config = resolveRunConfig({ data: 'images:', latents: options.latents, epochs: options.epochs, backend: options.backend, samples: options.samples });
  const metrics = await train({ config, out: options.out, resume: false });
  const first = metrics[0]!;
  const last = metrics[metrics.length - 1]!;
  log(`ELBO ${first.elbo.toFixed(3)} after epoch 1 → ${last.elbo.toFixed(3)} after epoch ${metrics.length}; look at ${options.out}/fields.png and ${options.out}/curves.png`);
}
