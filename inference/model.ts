/**
 * An exported entropy-sc encoder, loaded with onnxruntime-node: its card (read from the file's
 * `metadata_props`), and `encode` for any number of rows, computing only the outputs asked for
 * (each output subset gets its own session of the graph pruned to it). `loadModel` also loads image
 * models (the card says which kind); both kinds encode images (`encodeImages`) to the same numbers.
 */
import { UserError } from '@entropy-sc/core/errors';
import { outputRowShape, type ModelCard } from '@entropy-sc/core/schema/model-card';
import { INPUT_NAME, isOutputName, OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { checkFinite } from '@entropy-sc/core/validate/arrays';
import type { ImagePixels } from '@entropy-sc/core/data/image-file';
import { readModelFile, type ModelFile, type ModelProto } from './card.ts';
import type { GraphSession, LoadOptions, Tensor } from './graph-session.ts';
import { patchModelImageCodes, type EncodeImagesOptions, type ImageCodes } from './image-codes.ts';
import { OnnxImageModel } from './image-model.ts';
import { defaultStride } from './image-model-build.ts';
import { modelWhitens, patchSize } from './image-patches.ts';
import { PrunedSessions } from './pruned-sessions.ts';
import { resolveProvider, type ResolvedProvider } from './providers.ts';

export type { EncodeImagesOptions, ImageCodes, ImagePixels, LoadOptions, OutputName, Tensor };

export interface EncoderModel {
  /** 'patch': rows x [batch, D] in; 'image': uint8 images in (export --image) */
  readonly kind: 'patch' | 'image';
  readonly path: string;
  readonly card: ModelCard;
  readonly d: number;
  readonly h: number;
  /** what this model file offers */
  readonly outputs: readonly OutputName[];
  /** @param x rows [rows, D] row-major; only the named outputs are computed (default: all); patch models only */
  encode(x: Float32Array, rows: number, outputs?: readonly OutputName[]): Promise<Partial<Record<OutputName, Tensor>>>;
  /** Images (8-bit, 1 or 3 channels) → per image its outputs per window and per pixel (image-codes.ts). */
  encodeImages(images: readonly ImagePixels[], options?: EncodeImagesOptions): Promise<ImageCodes[]>;
  close(): Promise<void>;
}

/** Output values per chunk of rows: bounds the memory of one onnxruntime run. */
const CHUNK_VALUES = 1 << 24;

/** A patch model or an image model, as its card says. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<OnnxEncoderModel | OnnxImageModel> {
  const file = await readModelFile(path);
  if (!file.card.image) return openEncoder(path, file, options);
  const model = new OnnxImageModel(path, file.card, file.model, resolveProvider(options.provider), options);
  await model.open(file.bytes);
  return model;
}

/** A patch model (rows in), typed as the implementation (the file encoders use its unchecked `run`). */
export async function loadEncoder(path: string, options: LoadOptions = {}): Promise<OnnxEncoderModel> {
  const file = await readModelFile(path);
  if (file.card.image)
    throw new UserError(
      `${path} is an image model: it encodes images, not rows (use the patch model it was exported from)`,
    );
  return openEncoder(path, file, options);
}

async function openEncoder(path: string, file: ModelFile, options: LoadOptions): Promise<OnnxEncoderModel> {
  const provider = resolveProvider(options.provider);
  const model = new OnnxEncoderModel(path, file.card, file.model, provider, options);
  if (model.outputs.length === 0)
    throw new UserError(
      `${path}: an ONNX model with an entropy-sc card but none of the encoder's outputs (${OUTPUT_NAMES.join(', ')})`,
    );
  await model.session(model.outputs, file.bytes);
  return model;
}

export class OnnxEncoderModel implements EncoderModel {
  readonly kind = 'patch';
  readonly d: number;
  readonly h: number;
  readonly outputs: readonly OutputName[];
  private readonly sessions: PrunedSessions;
  private readonly maxRowsPerRun: number;
  /** values per row of each output */
  private readonly rowSizes: ReadonlyMap<OutputName, { size: number; dims: number[] }>;

  constructor(
    readonly path: string,
    readonly card: ModelCard,
    model: ModelProto,
    provider: ResolvedProvider,
    options: LoadOptions,
  ) {
    this.d = card.d;
    this.h = card.h;
    // Before any session: a forged card claiming a huge D would make the first run allocate without bound.
    const input = (model.graph!.input ?? []).find((i) => i.name === INPUT_NAME);
    const inputDims = (input?.type?.tensorType?.shape?.dim ?? []).map((dim) =>
      dim.dimValue != null ? Number(dim.dimValue) : null,
    );
    if (inputDims.length !== 2 || inputDims[1] !== card.d)
      throw new UserError(
        `${path}: the graph's input '${INPUT_NAME}' is [${inputDims.map((d) => d ?? '?').join(', ')}] but its card says D=${card.d}`,
      );
    const sizes = new Map<OutputName, { size: number; dims: number[] }>();
    for (const o of model.graph!.output ?? []) {
      const name = o.name ?? '';
      if (!isOutputName(name) || name === 'whitened') continue;
      const dims = outputRowShape(card, name);
      const declared = (o.type?.tensorType?.shape?.dim ?? []).slice(1).map((dim) => Number(dim.dimValue));
      if (declared.join() !== dims.join())
        throw new UserError(
          `${path}: output '${name}' is [${declared.join(', ')}] per row but its card (D=${card.d}, H=${card.h}) implies [${dims.join(', ')}]`,
        );
      sizes.set(name, { size: dims.reduce((a, b) => a * b, 1), dims });
    }
    this.outputs = OUTPUT_NAMES.filter((name) => sizes.has(name));
    this.rowSizes = sizes;
    this.sessions = new PrunedSessions(model, this.outputs, provider, options);
    this.maxRowsPerRun = options.maxRowsPerRun ?? Infinity;
  }

  /** An output's shape per row (without the batch axis), as the card says. */
  outputShape(name: OutputName): number[] {
    return [...this.rowSizes.get(name)!.dims];
  }

  /** The output names asked for, checked against what the model offers. @returns them in cli.md's order */
  selectOutputs(requested: readonly string[] = this.outputs): OutputName[] {
    for (const name of requested) {
      if (!isOutputName(name)) throw new UserError(`unknown output '${name}'; outputs are ${OUTPUT_NAMES.join(', ')}`);
      if (!this.outputs.includes(name))
        throw new UserError(
          `${this.path} has no output '${name}' (it offers ${this.outputs.join(', ')}${name === 'covariance' ? '; export with --full-covariance for it' : ''})`,
        );
    }
    if (requested.length === 0) throw new UserError('no outputs asked for');
    return this.outputs.filter((name) => requested.includes(name));
  }

  async encode(
    x: Float32Array,
    rows: number,
    outputs?: readonly OutputName[],
  ): Promise<Partial<Record<OutputName, Tensor>>> {
    if (!(Number.isSafeInteger(rows) && rows >= 0))
      throw new UserError(`rows must be a non-negative integer, got ${rows}`);
    if (x.length !== rows * this.d)
      throw new UserError(`x has ${x.length} values, but ${rows} rows of D=${this.d} need ${rows * this.d}`);
    checkFinite(x, 'x', [rows, this.d]);
    return this.run(x, rows, this.selectOutputs(outputs));
  }

  /** encode without the checks: `x` is [rows, D], finite; `names` came from selectOutputs. */
  async run(x: Float32Array, rows: number, names: readonly OutputName[]): Promise<Partial<Record<OutputName, Tensor>>> {
    const session = await this.session(names);
    const perRow = names.reduce((sum, name) => sum + this.rowSizes.get(name)!.size, 0);
    const chunk = Math.max(1, Math.min(Math.floor(CHUNK_VALUES / perRow), this.maxRowsPerRun));
    if (rows <= chunk) return this.runOnce(session, x, rows, names);
    const result: Partial<Record<OutputName, Tensor>> = {};
    for (const name of names) {
      const { size, dims } = this.rowSizes.get(name)!;
      result[name] = { data: new Float32Array(rows * size), shape: [rows, ...dims] };
    }
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      const part = await this.runOnce(session, x.subarray(start * this.d, (start + count) * this.d), count, names);
      for (const name of names) result[name]!.data.set(part[name]!.data, start * this.rowSizes.get(name)!.size);
    }
    return result;
  }

  private async runOnce(
    session: GraphSession,
    x: Float32Array,
    rows: number,
    names: readonly OutputName[],
  ): Promise<Partial<Record<OutputName, Tensor>>> {
    const result: Partial<Record<OutputName, Tensor>> = {};
    if (rows === 0) {
      for (const name of names)
        result[name] = { data: new Float32Array(0), shape: [0, ...this.rowSizes.get(name)!.dims] };
      return result;
    }
    return session.run(x, rows, this.d, names);
  }

  /** The session of the graph pruned to `names` (created once). @param bytes the full model's bytes, when `names` are all outputs */
  session(names: readonly OutputName[], bytes?: Uint8Array): Promise<GraphSession> {
    return this.sessions.get(names, bytes);
  }

  /** Images through the card's whitening in TypeScript, then their windows as rows (default stride P/2). */
  async encodeImages(images: readonly ImagePixels[], options: EncodeImagesOptions = {}): Promise<ImageCodes[]> {
    const p = patchSize(this.card);
    const stride = options.stride ?? defaultStride(p);
    const names = this.selectImageOutputs(options.outputs);
    const codes: ImageCodes[] = [];
    for (const image of images)
      codes.push(await patchModelImageCodes(this, image, p, stride, names, modelWhitens(this.card)));
    return codes;
  }

  /** selectOutputs, with `whitened` besides the graph's outputs (what encoding images offers). */
  selectImageOutputs(requested: readonly string[] = [...this.outputs, 'whitened']): OutputName[] {
    const rows = requested.filter((name) => name !== 'whitened');
    const names = rows.length > 0 || requested.length === 0 ? this.selectOutputs(rows) : [];
    return requested.includes('whitened') ? [...names, 'whitened'] : names;
  }

  close(): Promise<void> {
    return this.sessions.close();
  }
}
