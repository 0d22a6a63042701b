/**
 * One onnxruntime session of a graph whose one input is rows `x` [rows, D]: an exported encoder (or
 * a pruned copy of one), or the training loop's statistics graph.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { INPUT_NAME } from '@entropy-sc/core/schema/onnx-contract';
import { providerFailure, resolveProvider, type ResolvedProvider } from './providers.ts';

export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/** An input: float32, or uint8 (an image model's pixels). */
export interface InputTensor {
  data: Float32Array | Uint8Array;
  shape: number[];
}

export interface LoadOptions {
  /** 'cpu' (default) | 'webgpu' | 'cuda' | 'tensorrt' | 'auto' */
  provider?: string;
  /** onnxruntime's intra-op threads (default: the machine's cores) */
  intraOpThreads?: number;
  /** let idle intra-op threads spin (default true, onnxruntime's own; services turn it off) */
  spinning?: boolean;
  /**
   * rows per onnxruntime run at most (default: as many as make 2^24 output values): its working
   * memory grows with the rows of a run, and a service bounds it by its batch size
   */
  maxRowsPerRun?: number;
}

export interface GraphSession {
  /** @param x rows [rows, D] row-major, rows ≥ 1 @param outputs names of graph outputs */
  run(x: Float32Array, rows: number, d: number, outputs: readonly string[]): Promise<Record<string, Tensor>>;
  /** The same for a graph of several inputs (float32 or uint8 each). */
  runInputs(inputs: Record<string, InputTensor>, outputs: readonly string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** @param provider resolved once per model (resolveProvider), so that its failures name it */
export async function openGraphSession(
  bytes: Uint8Array,
  options: LoadOptions = {},
  provider: ResolvedProvider = resolveProvider(options.provider),
): Promise<GraphSession> {
  const { InferenceSession, Tensor: OrtTensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(bytes, sessionOptions(provider, options)).catch((error: unknown) => {
    throw providerFailure(provider, error);
  });
  const runInputs = async (inputs: Record<string, InputTensor>, outputs: readonly string[]) => {
    const feeds: Record<string, InstanceType<typeof OrtTensor>> = {};
    for (const [name, t] of Object.entries(inputs))
      feeds[name] =
        t.data instanceof Uint8Array
          ? new OrtTensor('uint8', t.data, t.shape)
          : new OrtTensor('float32', t.data, t.shape);
    const fetched = await session.run(feeds, [...outputs]);
    const result: Record<string, Tensor> = {};
    for (const name of outputs)
      result[name] = { data: fetched[name]!.data as Float32Array, shape: fetched[name]!.dims.map(Number) };
    return result;
  };
  return {
    run: (x, rows, d, outputs) => runInputs({ [INPUT_NAME]: { data: x, shape: [rows, d] } }, outputs),
    runInputs,
    release: () => session.release(),
  };
}

function sessionOptions(provider: ResolvedProvider, options: LoadOptions): InferenceSession.SessionOptions {
  return {
    executionProviders: provider.executionProviders,
    intraOpNumThreads: options.intraOpThreads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(options.spinning === false
      ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }
      : {}),
  };
}
