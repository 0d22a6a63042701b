/**
 * `npm start`, the training half: it checks the objective on the bars ground truth, fine-tunes the
 * shipped encoder (models/default.onnx) on fresh patches of the shipped images, exports it to ONNX
 * and draws held-out patches with another seed (cli/commands/demo.ts encodes them with onnxruntime
 * and prints the summary).
 */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { generateBars } from '@entropy-sc/core/data/bars';
import { naturalImagePatches } from '@entropy-sc/core/data/patches';
import { ElboAccumulator, type ElboReport } from '@entropy-sc/core/elbo/elbo-accumulator';
import { UserError } from '@entropy-sc/core/errors';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { makeOutputDir } from '@entropy-sc/core/fs/output-dir';
import { LOCK_NAME } from '@entropy-sc/core/fs/run-lock';
import { writeNpy } from '@entropy-sc/core/npy/write';
import { Random } from '@entropy-sc/core/random';
import { OUTPUT_NAMES } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { resolveRunConfig, type RunConfig } from '@entropy-sc/core/schema/run-config';
import { useBackend } from '../backend/backend.ts';
import { cardPathFor, exportRun } from '../export/export-run.ts';
import { initialStateFromOnnx } from '../artifacts/onnx-initial-state.ts';
import { accumulate } from '../objective/accumulate.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import { runPaths, type MetricsRow } from '../run/run-files.ts';
import { tidyRead } from '../tensor/tidy-read.ts';
import { train } from './train.ts';

export interface DemoOptions {
  out: string;
  /** the encoder to fine-tune */
  model: string;
  epochs: number;
  samples: number;
  /** patches encoded with onnxruntime (drawn with another seed) */
  heldOut: number;
  lr: number;
  backend: string;
}

/** What marks a folder as a demo run (the demo replaces only its own files). */
const MARKER = 'demo.json';
const MODEL_FILE = 'model.onnx';
const HELD_OUT = 'held-out';

/**
 * The ELBO of bars data under a dictionary with posteriors centred on `mean` and spread 0.05.
 * @param w dictionary [D, H] row-major
 * @param mean posterior means [N, H] row-major
 */
export function elboWithMeans(
  x: Float32Array,
  n: number,
  d: number,
  w: Float32Array,
  h: number,
  mean: Float32Array,
): ElboReport {
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
  const truth = elboWithMeans(
    bars.x,
    n,
    d,
    Float32Array.from(bars.w),
    h,
    Float32Array.from(bars.z, (z) => z * Math.sqrt(5)),
  );
  const rng = new Random(seed + 1);
  const w = Float32Array.from({ length: d * h }, () => rng.normal());
  const mean = tidyRead(() => tf.matMul(tf.tensor2d(bars.x, [n, d]), normalizeColumns(tf.tensor2d(w, [d, h]))));
  return { groundTruth: truth.elbo, random: elboWithMeans(bars.x, n, d, w, h, mean).elbo };
}

/** The files a demo run writes: the training run's, the export's and the encoded patches'. */
function demoFiles(out: string): string[] {
  const run = Object.values(runPaths(out));
  return [
    ...run,
    join(out, LOCK_NAME),
    join(out, MODEL_FILE),
    cardPathFor(join(out, MODEL_FILE)),
    join(out, `${HELD_OUT}.npy`),
    join(out, MARKER),
  ];
}

/**
 * Makes `out` ready for a new demo run without touching anything the project did not write: a
 * missing or empty folder is fine, a previous demo run loses only the demo's own files, anything
 * else is refused.
 */
async function clearDemoRun(out: string): Promise<void> {
  const entries = await readdir(out).catch(() => null);
  if (entries === null) {
    if (await stat(out).catch(() => null)) throw new UserError(`--out ${out} is not a folder`);
    return;
  }
  if (entries.length === 0) return;
  if (!entries.includes(MARKER))
    throw new UserError(
      `--out ${out} is not empty and holds no demo run (no ${MARKER}); choose an empty or new folder`,
    );
  for (const file of demoFiles(out)) await rm(file, { force: true });
  for (const name of OUTPUT_NAMES) await rm(join(out, HELD_OUT, `${name}.npy`), { force: true });
  await rmdir(join(out, HELD_OUT)).catch(() => undefined); // kept if the user put something there
}

export interface DemoRun {
  /** the card of the encoder fine-tuned */
  card: ModelCard;
  config: RunConfig;
  metrics: MetricsRow[];
  /** the exported ONNX file */
  modelPath: string;
  /** patches drawn with another seed [heldOutRows, D], for encoding */
  heldOutPath: string;
  /** where their encoding goes */
  heldOutFolder: string;
  heldOutSeed: number;
  heldOutRows: number;
}

/** The training half of the demo (the CLI encodes the held-out patches with onnxruntime). */
export async function trainDemo(options: DemoOptions): Promise<DemoRun> {
  await clearDemoRun(options.out);
  await makeOutputDir(options.out);
  const start = await initialStateFromOnnx(options.model);
  await useBackend(options.backend);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const check = barsSanityCheck();
  log(
    `bars 5×5, N=1000: ELBO of the ground-truth dictionary ${check.groundTruth.toFixed(3)} vs a random one ${check.random.toFixed(3)}`,
  );

  const { card } = start;
  const config = resolveRunConfig({
    data: 'images:',
    samples: options.samples,
    seed: card.seed + 1,
    latents: card.h,
    posterior: card.family,
    ...(card.rank ? { rank: card.rank } : {}),
    ...(card.encoder ? { hidden: card.encoder.hidden } : {}),
    ...(card.encoder ? { inner: card.encoder.inner } : {}),
    ...(card.encoder ? { blocks: card.encoder.blocks } : {}),
    epochs: options.epochs,
    lr: options.lr,
    backend: options.backend,
  });
  log(
    `fine-tuning ${options.model} (${card.family}, H=${card.h}, ${card.metrics['epoch'] !== undefined ? `${Number(card.metrics['epoch']) + 1} epochs` : 'trained'} on ${card.n} patches) for ${options.epochs} epochs on ${options.samples} fresh whitened 16×16 patches (seed ${config.seed}, Adam rate ${options.lr}) into ${options.out}`,
  );
  await writeFileAtomic(
    join(options.out, MARKER),
    JSON.stringify(
      {
        fine_tuned_from: options.model,
        seed: config.seed,
        epochs: options.epochs,
        samples: options.samples,
        lr: options.lr,
      },
      null,
      2,
    ) + '\n',
  );
  const metrics = await train({ config, out: options.out, resume: false, initialState: start.state });

  const modelPath = join(options.out, MODEL_FILE);
  await exportRun({ run: options.out, out: modelPath, fullCovariance: false });
  const heldOutSeed = config.seed + 1;
  const heldOut = await naturalImagePatches({
    patch: Math.round(Math.sqrt(card.d)),
    samples: options.heldOut,
    seed: heldOutSeed,
  });
  const heldOutPath = join(options.out, `${HELD_OUT}.npy`);
  await writeNpy(heldOutPath, { data: heldOut.x, shape: [heldOut.n, heldOut.d] });

  return {
    card,
    config,
    metrics,
    modelPath,
    heldOutPath,
    heldOutFolder: join(options.out, HELD_OUT),
    heldOutSeed,
    heldOutRows: heldOut.n,
  };
}
