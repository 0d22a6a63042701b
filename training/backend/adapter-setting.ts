/**
 * Which WebGPU adapter the webgpu backend uses: the one environment setting, ENTROPY_SC_GPU_ADAPTER.
 *   hardware  a GPU through Dawn's default backend (Vulkan on Linux)
 *   software  Mesa's llvmpipe through Dawn's OpenGL backend (slow, but runs anywhere Mesa is installed)
 *   auto      hardware where one exists, else software (the default)
 */
import { UserError } from '@entropy-sc/core/errors';

export const GPU_ADAPTER_ENV = 'ENTROPY_SC_GPU_ADAPTER';
export const ADAPTER_CHOICES = ['auto', 'hardware', 'software'] as const;
export type AdapterChoice = (typeof ADAPTER_CHOICES)[number];

/** The setting in `env` (auto where unset or empty); a UserError names the choices otherwise. */
export function adapterChoice(env: NodeJS.ProcessEnv = process.env): AdapterChoice {
  const value = env[GPU_ADAPTER_ENV]?.trim().toLowerCase() || 'auto';
  if ((ADAPTER_CHOICES as readonly string[]).includes(value)) return value as AdapterChoice;
  throw new UserError(
    `${GPU_ADAPTER_ENV}=${env[GPU_ADAPTER_ENV]} is not a WebGPU adapter choice: should be one of ${ADAPTER_CHOICES.join(', ')}`,
  );
}
