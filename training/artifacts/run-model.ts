/**
 * A training run's model for the gap (cli.md `gap --run DIR`): Θ frozen at the run's values
 * (dictionary.npy is W̃ with unit columns, prior_scales.npy λ, model.json's σ²) and the encoder
 * restored from the run's checkpoint (its variables in the order of Encoder.variables()).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '@entropy-sc/core/errors';
import { shapeText } from '@entropy-sc/core/ndarray';
import { readNpy } from '@entropy-sc/core/npy/read';
import { parseModelCard, type ModelCard } from '@entropy-sc/core/schema/model-card';
import { checkFinite, checkPositive } from '@entropy-sc/core/validate/arrays';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../checkpoint/checkpoint-file.ts';
import { encoderConfigOfCard } from '@entropy-sc/graph/encoder-spec';
import { Encoder } from '../model/encoder.ts';
import { runPaths } from '../run/run-files.ts';
import { tidyReadPosterior, type PosteriorArrays } from '../objective/posterior-arrays.ts';
import type { FrozenModel } from './frozen-model.ts';

export interface RunModel {
  card: ModelCard;
  model: FrozenModel;
  /** the encoder's posteriors of rows [rows, D] */
  encode: (x: Float32Array, rows: number) => PosteriorArrays;
  dispose: () => void;
}

/** Reads model.json of a run directory (one line naming the file when it is missing or wrong). */
export async function readRunCard(dir: string): Promise<ModelCard> {
  const path = runPaths(dir).modelCard;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`--run ${dir}: no model card ${path} (is it a training run directory?)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not JSON`);
  }
  return parseModelCard(value, path);
}

/** Θ = (W̃, λ, σ²) of a run, checked against its card. */
export async function readFrozenModel(dir: string, card: ModelCard): Promise<FrozenModel> {
  const paths = runPaths(dir);
  const { d, h } = card;
  const w = await readNpy(paths.dictionary);
  if (w.shape.length !== 2 || w.shape[0] !== d || w.shape[1] !== h)
    throw new UserError(`${paths.dictionary}: shape ${shapeText(w.shape)}, but ${paths.modelCard} says D=${d}, H=${h}`);
  checkFinite(w.data, paths.dictionary, w.shape);
  const lambda = await readNpy(paths.priorScales);
  if (lambda.shape.length !== 1 || lambda.shape[0] !== h)
    throw new UserError(`${paths.priorScales}: shape ${shapeText(lambda.shape)}, expected [${h}]`);
  checkPositive(lambda.data, paths.priorScales, lambda.shape, 'prior scales');
  return { dictionary: Float32Array.from(w.data), lambda: Float64Array.from(lambda.data), sigma2: card.sigma2, d, h };
}

/** The run's frozen model and encoder. */
export async function loadRunModel(dir: string): Promise<RunModel> {
  const card = await readRunCard(dir);
  if (!card.amortized)
    throw new UserError(
      `--run ${dir}: a non-amortized run has no encoder, so no amortization gap (its posteriors are already fitted per point)`,
    );
  const model = await readFrozenModel(dir, card);
  const encoder = await loadRunEncoder(dir, card);
  return {
    card,
    model,
    encode: (x, rows) => tidyReadPosterior(() => encoder.forward(tf.tensor2d(x, [rows, card.d]))),
    dispose: () => encoder.dispose(),
  };
}

/**
 * The run's TensorFlow.js encoder as its card describes it, with the variables of its checkpoint (in
 * the order of Encoder.variables()). The caller disposes it.
 */
export async function loadRunEncoder(dir: string, card: ModelCard): Promise<Encoder> {
  const paths = runPaths(dir);
  const config = encoderConfigOfCard(card);
  if (!config)
    throw new UserError(
      `${paths.modelCard}: a ${card.amortized ? '' : 'non-amortized '}${card.family} run has no encoder`,
    );
  const checkpoint = await loadCheckpoint<unknown>(paths.checkpoint);
  const encoder = new Encoder(config, 0);
  try {
    encoder.variables().forEach((v, i) => {
      const values = checkpoint.arrays[`var${i}`];
      if (values?.length !== v.size)
        throw new UserError(
          `${paths.checkpoint}: encoder variable ${i} has ${values?.length ?? 'no'} values, ${paths.modelCard} needs ${v.size}`,
        );
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    });
  } catch (error) {
    encoder.dispose();
    throw error;
  }
  return encoder;
}
