/**
 * An exported entropy-sc encoder, loaded with onnxruntime-node: its card (read from the file's
 * `metadata_props`), and `encode` for any number of rows, computing only the outputs asked for
 * (each output subset gets its own session of the graph pruned to it).
 */
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { isOutputName, OUTPUT_NAMES, type OutputName } from '@entropy-sc/core/schema/onnx-contract';
import { checkFinite } from '@entropy-sc/core/validate/arrays';
import { readModelFile, type ModelProto } from './card.ts';
import { pruneToOutputs } from './prune-graph.ts';
import { openGraphSession, type GraphSession, type LoadOptions, type Tensor } from './graph-session.ts';
import { resolveProvider, type ResolvedProvider } from './providers.ts';

export type { LoadOptions, OutputName, Tensor };

export interface EncoderModel {
  readonly path: string;
  readonly card: ModelCard;
  readonly d: number;
  readonly h: number;
  /** what this model file offers */
  readonly outputs: readonly OutputName[];
  /** @param x rows [rows, D] row-major; only the named outputs are computed (default: all) */
  encode(x: Float32Array, rows: number, outputs?: readonly OutputName[]): Promise<Partial<Record<OutputName, Tensor>>>;
  close(): Promise<void>;
}

/** Output values per chunk of rows: bounds the memory of one onnxruntime run. */
const CHUNK_VALUES = 1 << 24;

export function loadModel(path: string, options: LoadOptions = {}): Promise<EncoderModel> {
  return loadEncoder(path, options);
}

/** loadModel, typed as the implementation (the file encoders use its unchecked `run`). */
export async function loadEncoder(path: string, options: LoadOptions = {}): Promise<OnnxEncoderModel> {
  const file = await readModelFile(path);
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
  readonly d: number;
  readonly h: number;
  readonly outputs: readonly OutputName[];
  /** per output subset (sorted, comma-joined): its session */
  private readonly sessions = new Map<string, Promise<GraphSession>>();
  /** values per row of each output */
  private readonly rowSizes: ReadonlyMap<OutputName, { size: number; dims: number[] }>;

  constructor(
    readonly path: string,
    readonly card: ModelCard,
    private readonly model: ModelProto,
    private readonly provider: ResolvedProvider,
    private readonly options: LoadOptions,
  ) {
    this.d = card.d;
    this.h = card.h;
    const sizes = new Map<OutputName, { size: number; dims: number[] }>();
    for (const o of model.graph!.output ?? []) {
      const name = o.name ?? '';
      if (!isOutputName(name)) continue;
      const dims = (o.type?.tensorType?.shape?.dim ?? []).slice(1).map((dim) => Number(dim.dimValue));
      sizes.set(name, { size: dims.reduce((a, b) => a * b, 1), dims });
    }
    this.outputs = OUTPUT_NAMES.filter((name) => sizes.has(name));
    this.rowSizes = sizes;
  }

  /** An output's shape per row (without the batch axis). */
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
    const chunk = Math.max(1, Math.floor(CHUNK_VALUES / perRow));
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
    const key = [...names].sort().join(',');
    let session = this.sessions.get(key);
    if (!session) {
      const all = names.length === this.outputs.length;
      const model = all && bytes ? bytes : pruneToOutputs(this.model, names);
      session = openGraphSession(model, this.options, this.provider);
      this.sessions.set(key, session);
    }
    return session;
  }

  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s).release();
  }
}
