/**
 * `entropy-sc export`: a training run directory → an ONNX encoder file (with its model card in the
 * file's `metadata_props` and next to it). The encoder is rebuilt in TensorFlow.js from the run's
 * checkpoint, so the exported weights are exactly those the run evaluated.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { UserError } from '@entropy-sc/core/errors';
import { readNpy } from '@entropy-sc/core/npy/read';
import { shapeText } from '@entropy-sc/core/ndarray';
import { gapRecord, parseModelCard, type GapRecord, type ModelCard } from '@entropy-sc/core/schema/model-card';
import { issuesText } from '@entropy-sc/core/schema/issues-text';
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { writeFileAtomic } from '@entropy-sc/core/fs/atomic-write';
import { decodeModel } from '@entropy-sc/inference/card';
import { buildImageModel } from '@entropy-sc/inference/image-model-build';
import { useBackend } from '../backend/backend.ts';
import { loadRunEncoder } from '../artifacts/run-model.ts';
import { runPaths } from '../run/run-files.ts';
import { encoderWeights } from '../model/encoder-weights.ts';
import { encoderModelBytes } from '@entropy-sc/graph/model-bytes';

export interface ExportOptions {
  /** the training run directory */
  run: string;
  /** the .onnx file to write */
  out: string;
  /** add the `covariance` output [batch, H, H] */
  fullCovariance: boolean;
  /** write the image model instead (uint8 images in; inference/image-model-build.ts), windows at this stride */
  image?: { stride?: number };
}

export interface ExportResult {
  /** the .onnx file written */
  path: string;
  /** the model card written next to it */
  cardPath: string;
  card: ModelCard;
  /** the ONNX file's bytes */
  bytes: Uint8Array;
  outputs: OutputName[];
  /** the patch model (rows in) and its card: what was written, or what the image model was built from */
  patch: { bytes: Uint8Array; card: ModelCard };
  /** the run's gap.json when it was measured at an earlier epoch (and so is not in the card) */
  staleGap: GapRecord | null;
}

/** The card file next to MODEL.onnx: MODEL.card.json. */
export function cardPathFor(model: string): string {
  return model.replace(/\.onnx$/i, '') + '.card.json';
}

export async function exportRun({ run, out, fullCovariance, image }: ExportOptions): Promise<ExportResult> {
  await checkOutput(out);
  const paths = runPaths(run);
  const runCard = portableCard(parseModelCard(await readJson(paths.modelCard), paths.modelCard));
  const gap = await readGapRecord(paths.gap);
  const current = gap !== null && gap.epoch === Number(runCard.metrics['epoch']);
  const card: ModelCard = current ? { ...runCard, amortization_gap: gap } : runCard;
  if (!card.amortized || !card.encoder || (card.family !== 'diag' && card.family !== 'lowrank'))
    throw new UserError(
      `${run}: a ${card.amortized ? '' : 'non-amortized '}${card.family} run has no encoder to export (export needs an amortized diag or lowrank run)`,
    );
  const dictionary = await readArray(paths.dictionary, [card.d, card.h]);
  const priorScales = await readArray(paths.priorScales, [card.h]);

  await useBackend('wasm');
  const encoder = await loadRunEncoder(run, card);
  try {
    const { bytes, outputs } = encoderModelBytes(
      encoderWeights(encoder),
      { dictionary, priorScales, noiseVariance: card.sigma2 },
      card,
      { fullCovariance },
    );
    const written = image ? buildImageModel(decodeModel(bytes, out), card, image.stride) : { bytes, card };
    const cardPath = cardPathFor(out);
    await writeOutput(out, written.bytes);
    await writeOutput(cardPath, JSON.stringify(written.card, null, 2) + '\n');
    return {
      path: out,
      cardPath,
      card: written.card,
      bytes: written.bytes,
      outputs: image ? [...outputs, 'whitened'] : outputs,
      patch: { bytes, card },
      staleGap: current ? null : gap,
    };
  } finally {
    encoder.dispose();
  }
}

/** A run's gap.json (null when `gap --run` never measured it). */
async function readGapRecord(path: string): Promise<GapRecord | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not JSON (delete it, or measure again with gap --run)`);
  }
  const parsed = gapRecord.safeParse(value);
  if (!parsed.success) throw new UserError(`${path}: not a gap record (${issuesText(parsed.error)})`);
  return parsed.data;
}

/** The card as it travels with the model: the image source by its name, not this machine's path. */
function portableCard(card: ModelCard): ModelCard {
  const source = card.preprocessing['source'];
  if (typeof source !== 'string') return card;
  return { ...card, preprocessing: { ...card.preprocessing, source: basename(source) } };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`${dirname(path)}: not a training run (no ${basename(path)})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not valid JSON`);
  }
}

async function readArray(path: string, shape: number[]): Promise<Float32Array> {
  const array = await readNpy(path);
  if (shapeText(array.shape) !== shapeText(shape))
    throw new UserError(`${path}: expected shape ${shapeText(shape)} (model.json), got ${shapeText(array.shape)}`);
  return Float32Array.from(array.data);
}

/** Refuses an --out that is a folder, or whose folder is missing, before any work. */
async function checkOutput(out: string): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (info?.isDirectory()) throw new UserError(`--out ${out} is a folder; give the .onnx file to write`);
  const folder = await stat(dirname(out)).catch(() => null);
  if (!folder?.isDirectory()) throw new UserError(`--out ${out}: its folder ${dirname(out)} does not exist`);
}

async function writeOutput(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new UserError(`--out ${path}: cannot write (${code})`);
    throw error;
  }
}
