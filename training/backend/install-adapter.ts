/**
 * Hands a chosen adapter to tfjs-backend-webgpu, which registers its backend only if
 * `navigator.gpu` exists when it is first imported and then calls `navigator.gpu.requestAdapter()`
 * with options of its own (never the compatibility feature level the software adapter needs).
 */
import type { FoundAdapter } from './find-adapter.ts';

let installed: FoundAdapter | null = null;

/** Makes `navigator.gpu.requestAdapter()` answer with `found`'s adapter. */
export function installAdapter(found: FoundAdapter): void {
  installed = found;
  const gpu = {
    requestAdapter: async () => found.adapter,
    getPreferredCanvasFormat: () => found.gpu.getPreferredCanvasFormat(),
    wgslLanguageFeatures: found.gpu.wgslLanguageFeatures,
  };
  const navigator = (globalThis as { navigator?: object }).navigator;
  Object.defineProperty(globalThis, 'navigator', { value: { ...navigator, gpu }, configurable: true, writable: true });
}

/** The adapter the webgpu backend runs on, or null before it was chosen. */
export function installedAdapter(): FoundAdapter | null {
  return installed;
}
