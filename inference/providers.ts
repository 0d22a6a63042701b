/**
 * onnxruntime execution providers: one frozen table from the names users give (`--provider`) to
 * what onnxruntime-node needs, and one resolver. cpu and webgpu ship with onnxruntime-node; cuda
 * and tensorrt need provider libraries that its install script downloads from outside the npm
 * registry (this project's .npmrc skips that download), so their absence is one line saying how to
 * get them, never a native error.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '@entropy-sc/core/errors';

interface ProviderEntry {
  /** onnxruntime's execution-provider name */
  ep: string;
  /** provider libraries that must sit in onnxruntime-node's binary folder (none: bundled) */
  libraries: readonly string[];
  /** what the provider needs on the machine, for the message when it fails */
  needs: string;
}

export const PROVIDERS: Readonly<Record<'cpu' | 'webgpu' | 'cuda' | 'tensorrt', ProviderEntry>> = Object.freeze({
  cpu: { ep: 'cpu', libraries: [], needs: 'nothing' },
  webgpu: { ep: 'webgpu', libraries: [], needs: 'a GPU with a Vulkan driver (libvulkan.so.1)' },
  cuda: {
    ep: 'cuda',
    libraries: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'],
    needs: 'an NVIDIA GPU with CUDA 12 or 13 and cuDNN 9 on the loader path (LD_LIBRARY_PATH)',
  },
  tensorrt: {
    ep: 'tensorrt',
    libraries: [
      'libonnxruntime_providers_tensorrt.so',
      'libonnxruntime_providers_cuda.so',
      'libonnxruntime_providers_shared.so',
    ],
    needs: 'an NVIDIA GPU with CUDA 12, cuDNN 9 and TensorRT 10 on the loader path (LD_LIBRARY_PATH)',
  },
});

export type ProviderName = keyof typeof PROVIDERS;
export const PROVIDER_CHOICES: readonly string[] = [...Object.keys(PROVIDERS), 'auto'];
/** `auto` takes the first of these whose libraries are present */
const AUTO_ORDER: readonly ProviderName[] = ['cuda', 'cpu'];

export interface ResolvedProvider {
  name: ProviderName;
  /** onnxruntime's executionProviders list */
  executionProviders: string[];
}

/** onnxruntime-node's folder of native binaries for this platform. */
export function binaryFolder(): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Provider libraries `name` needs that are not in onnxruntime-node's binary folder. */
export function missingLibraries(name: ProviderName): string[] {
  const folder = binaryFolder();
  return PROVIDERS[name].libraries.filter((file) => !existsSync(join(folder, file)));
}

/** @param name a user-facing provider name (cpu default) @throws UserError naming the choices or what is missing */
export function resolveProvider(name = 'cpu'): ResolvedProvider {
  if (name === 'auto') {
    const found = AUTO_ORDER.find((p) => missingLibraries(p).length === 0) ?? 'cpu';
    return { name: found, executionProviders: [PROVIDERS[found].ep] };
  }
  if (!Object.hasOwn(PROVIDERS, name))
    throw new UserError(`unknown provider '${name}'; should be one of: ${PROVIDER_CHOICES.join(', ')}`);
  const provider = name as ProviderName;
  const missing = missingLibraries(provider);
  if (missing.length > 0)
    throw new UserError(
      `provider ${provider} needs ${missing.join(', ')} in ${binaryFolder()} (onnxruntime-node's install downloads them: run \`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12\` with network access, or copy them there) and ${PROVIDERS[provider].needs}`,
    );
  return { name: provider, executionProviders: [PROVIDERS[provider].ep] };
}

/** The one line for a provider that is present but failed to start a session. */
export function providerFailure(provider: ResolvedProvider, error: unknown): UserError {
  return new UserError(
    `provider ${provider.name} could not start a session (${nativeReason(error).slice(0, 200)}); it needs ${PROVIDERS[provider.name].needs}`,
  );
}

/** The first line of a native error without the source location onnxruntime prefixes its failed checks with. */
export function nativeReason(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return line.replace(/^.* was false\. /, '');
}
