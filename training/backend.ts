/**
 * TensorFlow.js backends: one table from the user-facing names (`--backend`) to loaders, one
 * resolver. wasm is the default (about 30× the cpu backend on matMul, single-threaded in Node);
 * webgpu runs on the `webgpu` package (Dawn) where an adapter exists; tensorflow needs the user to
 * have installed @tensorflow/tfjs-node(-gpu), which cannot be a dependency (its install downloads
 * libtensorflow from outside the npm registry).
 */
import * as tf from '@tensorflow/tfjs-core';
// The umbrella package registers the gradient of every kernel (tfjs-core alone has none in Node).
import '@tensorflow/tfjs';
import { UserError } from '@entropy-sc/core/errors';

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
    // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is first imported.
    const g = globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } };
    if (!g.navigator?.gpu) {
      const webgpu = await import('webgpu');
      Object.assign(globalThis, webgpu.globals);
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true });
    }
    // Asking first keeps the backend's own noisy failure off the terminal.
    if (!(await g.navigator!.gpu!.requestAdapter())) throw new UserError('backend webgpu is not available: no WebGPU adapter was found on this machine');
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
  await loaders[backend]();
  const ok = await tf.setBackend(backend).catch(() => false);
  if (!ok) {
    const why = backend === 'webgpu' ? 'no WebGPU adapter was found on this machine' : 'it failed to initialise';
    throw new UserError(`backend ${backend} is not available: ${why}`);
  }
  await tf.ready();
  return backend;
}
