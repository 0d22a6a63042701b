/**
 * Finding a WebGPU adapter through the `webgpu` package (Dawn). A hardware adapter comes from Dawn's
 * default backend (Vulkan on Linux, with the GPU driver's ICD); the software adapter is Mesa's
 * llvmpipe through Dawn's OpenGL backend, which needs EGL without a display (EGL_PLATFORM=surfaceless)
 * and WebGPU's compatibility feature level (OpenGL cannot offer the core one).
 */
import type {} from 'webgpu';
import { UserError } from '@entropy-sc/core/errors';
import type { AdapterChoice } from './adapter-setting.ts';

export type AdapterKind = 'hardware' | 'software';

/** What doctor, the model card and the bench report of an adapter. */
export interface AdapterInfo {
  kind: AdapterKind;
  /** Dawn's backend that serves it */
  backend: 'vulkan' | 'opengl';
  /** the device, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe-llvm-15-0-6-256-bits-" */
  name: string;
  vendor: string;
  /** Dawn's description: the driver and its version */
  driver: string;
  limits: {
    maxBufferSize: number;
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
}

export interface FoundAdapter {
  /** the `navigator.gpu` it came from: Node stays alive while it is referenced */
  gpu: GPU;
  adapter: GPUAdapter;
  info: AdapterInfo;
}

// Rasterisers that run on the CPU, whichever API they sit behind.
const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render/i;

const MISSING: Readonly<Record<AdapterKind, string>> = {
  hardware:
    'no hardware WebGPU adapter: Dawn found no GPU through Vulkan (a GPU driver with its Vulkan ICD and libvulkan.so.1 are needed)',
  software:
    'no software WebGPU adapter: Dawn found no OpenGL through EGL (install Mesa: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri)',
};

/** The adapter of one kind, or null where this machine has none. */
export async function findAdapter(kind: AdapterKind): Promise<FoundAdapter | null> {
  const { create, globals } = await import('webgpu');
  // Dawn's objects check their arguments against these classes (GPUBufferUsage and the like).
  Object.assign(globalThis, globals);
  if (kind === 'software') process.env['EGL_PLATFORM'] ??= 'surfaceless';
  const gpu = create(kind === 'software' ? ['backend=opengl'] : []);
  const options =
    kind === 'software' ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' as const };
  const adapter = await gpu.requestAdapter(options as GPURequestAdapterOptions).catch(() => null);
  if (!adapter) return null;
  const info = describe(adapter, kind === 'software' ? 'opengl' : 'vulkan');
  // Vulkan can be served by lavapipe: a software adapter does not count as hardware.
  if (info.kind !== kind) return null;
  return { gpu, adapter, info };
}

/** The adapter `choice` asks for: `auto` prefers hardware. Throws one line naming what is missing. */
export async function chooseAdapter(choice: AdapterChoice): Promise<FoundAdapter> {
  const kinds: AdapterKind[] = choice === 'auto' ? ['hardware', 'software'] : [choice];
  for (const kind of kinds) {
    const found = await findAdapter(kind);
    if (found) return found;
  }
  throw new UserError(`backend webgpu is not available: ${kinds.map((k) => MISSING[k]).join('; ')}`);
}

/** One line for people: "hardware adapter NVIDIA H100 80GB HBM3 (vulkan, NVIDIA 550.54)". */
export function adapterLine(info: AdapterInfo): string {
  return `${info.kind} adapter ${info.name} (${info.backend}, ${info.driver})`;
}

function describe(adapter: GPUAdapter, backend: AdapterInfo['backend']): AdapterInfo {
  const { vendor, architecture, device, description } = adapter.info;
  const name = device || architecture || description || 'unnamed adapter';
  const software = adapter.info.isFallbackAdapter || SOFTWARE_NAMES.test(`${name} ${description}`);
  const {
    maxBufferSize,
    maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup,
  } = adapter.limits;
  return {
    kind: software ? 'software' : 'hardware',
    backend,
    name,
    vendor: vendor || 'unknown',
    driver: description || 'unknown',
    limits: {
      maxBufferSize,
      maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup,
    },
  };
}
