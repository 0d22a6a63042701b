/**
 * TensorFlow.js backends: one table from the user-facing names (`--backend`) to loaders, one
 * resolver. wasm is the default (about 30× the cpu backend on matMul, single-threaded in Node);
 * webgpu runs on the `webgpu` package (Dawn), on the adapter that ENTROPY_SC_GPU_ADAPTER picks
 * (training/backend/); tensorflow needs the user to have installed @tensorflow/tfjs-node(-gpu), which
 * cannot be a dependency (its install downloads libtensorflow from outside the npm registry).
 */
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradient of every kernel (tfjs-core alone has none in Node).
import '@tensorflow/tfjs';
import { UserError } from '@entropy-sc/core/errors';
import { adapterChoice, GPU_ADAPTER_ENV } from './adapter-setting.ts';
import { adapterLine, chooseAdapter } from './find-adapter.ts';
import { installAdapter, installedAdapter } from './install-adapter.ts';

export const BACKENDS = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

const loaders: Readonly<Record<BackendName, () => Promise<void>>> = Object.freeze({
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
  },
  webgpu: async () => {
    if (!installedAdapter()) {
      const found = await chooseAdapter(adapterChoice());
      installAdapter(found);
      process.stderr.write(`webgpu: ${adapterLine(found.info)} (${GPU_ADAPTER_ENV}=hardware|software|auto chooses)\n`);
    }
    await import('@tensorflow/tfjs-backend-webgpu');
  },
  tensorflow: async () => {
    for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(name);
        return;
      } catch {
        // try the next one
      }
    }
    throw new UserError(
      'backend tensorflow needs @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu: install one with npm (its install downloads libtensorflow, so it is not a dependency of entropy-sc)',
    );
  },
});

/** Resolves a user-facing backend name, or throws naming the choices. */
export function resolveBackend(name: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  throw new UserError(`unsupported backend: ${name}. Should be one of: ${BACKENDS.join(', ')}`);
}

/** Loads and activates a backend; throws a UserError if it cannot run on this machine. */
export async function useBackend(name: string): Promise<BackendName> {
  const backend = resolveBackend(name);
  if (tf.getBackend() === backend) return backend;
  // Production mode silences tfjs's console advice (the cpu backend's "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner, once per thread; webgpu's note on synchronous reads).
  tf.env().set('PROD', true);
  await loaders[backend]();
  const ok = await tf.setBackend(backend).catch(() => false);
  if (!ok) {
    const adapter = installedAdapter();
    const why =
      backend === 'webgpu' && adapter
        ? `no device could be opened on the ${adapterLine(adapter.info)}`
        : 'it failed to initialise';
    throw new UserError(`backend ${backend} is not available: ${why}`);
  }
  await tf.ready();
  if (backend === 'webgpu') explainSyncReads(tf.backend() as unknown as SyncReader);
  return backend;
}

interface SyncReader {
  readSync(dataId: object): unknown;
  hasReadSyncWarned: boolean;
}

/**
 * tfjs-backend-webgpu reads synchronously through an OffscreenCanvas, which Node does not have:
 * code that reads with dataSync() on a GPU tensor gets one line saying so instead of a ReferenceError.
 */
function explainSyncReads(backend: SyncReader): void {
  const readSync = backend.readSync.bind(backend);
  backend.hasReadSyncWarned = true; // its advice to read asynchronously is this function's message
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      throw new UserError(
        'this command reads tensors synchronously, which --backend webgpu cannot do in Node: run it with --backend wasm (on webgpu, entropy-sc train runs amortized learning)',
      );
    }
  };
}
