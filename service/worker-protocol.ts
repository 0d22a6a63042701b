/** Messages between the worker pool (main thread) and an encode worker (encode-worker.ts). */
import type { OutputName } from '@entropy-sc/core/schema/onnx-contract';
import type { ModelInfo, Outputs } from './model-info.ts';

/** workerData of an encode worker */
export interface WorkerInit {
  modelPath: string;
  provider?: string;
  /** onnxruntime intra-op threads of this worker's session */
  threads: number;
  /** rows per onnxruntime run at most (the batch size): bounds its working memory */
  maxRowsPerRun?: number;
}

/** main → worker: encode one batch */
export interface EncodeJob {
  id: number;
  /** rows [rows, D] (transferred); for an image model, uint8 images [rows, height, width, channels] */
  x: Float32Array | Uint8Array;
  rows: number;
  outputs: readonly OutputName[];
  /** an image model's input shape [rows, height, width, channels] */
  shape?: number[];
}

/** worker → main */
export type WorkerMessage =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'failed'; message: string; userError: boolean }
  /** `spent`: the job's rows' buffer, handed back for the next batch's rows */
  | { type: 'done'; id: number; outputs: Outputs; spent?: ArrayBuffer }
  | { type: 'error'; id: number; message: string };
