/**
 * What TensorFlow.js can run on this machine, for `entropy-sc doctor`: each backend of
 * training/backend/backend.ts, tried for real, and for webgpu both kinds of adapter with their limits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend, type BackendName } from './backend.ts';
import { adapterChoice, GPU_ADAPTER_ENV, type AdapterChoice } from './adapter-setting.ts';
import { findAdapter, type AdapterInfo, type AdapterKind } from './find-adapter.ts';
import { installedAdapter } from './install-adapter.ts';

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** why not, in one line */
  reason?: string;
  /** webgpu: the adapter it runs on */
  adapter?: AdapterInfo;
}

export interface TfjsReport {
  version: string;
  backends: BackendStatus[];
  /** webgpu: every adapter found, hardware first */
  adapters: AdapterInfo[];
  /** the adapter setting and where it comes from */
  adapterSetting: { env: string; value: AdapterChoice };
}

export async function tfjsReport(): Promise<TfjsReport> {
  const adapterSetting = { env: GPU_ADAPTER_ENV, value: adapterChoice() };
  const adapters: AdapterInfo[] = [];
  for (const kind of ['hardware', 'software'] as AdapterKind[]) {
    const found = await findAdapter(kind);
    if (found) adapters.push(found.info);
  }
  const backends: BackendStatus[] = [];
  for (const name of BACKENDS) {
    try {
      await useBackend(name);
      const adapter = name === 'webgpu' ? installedAdapter()?.info : undefined;
      backends.push({ name, available: true, ...(adapter && { adapter }) });
    } catch (error) {
      backends.push({ name, available: false, reason: (error as Error).message });
    }
  }
  return { version: tf.version_core, backends, adapters, adapterSetting };
}
