/**
 * Choosing the WebGPU adapter (ENTROPY_SC_GPU_ADAPTER): the setting's values, the software adapter
 * where Mesa is installed (CI), and on a GPU machine the hardware one, which `auto` prefers. Each
 * test that needs an adapter this machine lacks skips itself, saying so.
 */
import { describe, expect, it } from 'vitest';
import { adapterChoice } from '../../../training/backend/adapter-setting.ts';
import { chooseAdapter, findAdapter } from '../../../training/backend/find-adapter.ts';

const hardware = await findAdapter('hardware');
const software = await findAdapter('software');
if (!hardware)
  console.warn('skipping the hardware adapter tests: this machine has no GPU that Dawn can reach through Vulkan');
if (!software)
  console.warn('skipping the software adapter tests: Mesa (libegl1 libegl-mesa0 libgl1-mesa-dri) is not installed');

describe('the adapter setting', () => {
  it('is auto when unset or empty, and takes hardware and software in any case', () => {
    expect(adapterChoice({})).toBe('auto');
    expect(adapterChoice({ ENTROPY_SC_GPU_ADAPTER: '' })).toBe('auto');
    expect(adapterChoice({ ENTROPY_SC_GPU_ADAPTER: 'Software' })).toBe('software');
    expect(adapterChoice({ ENTROPY_SC_GPU_ADAPTER: ' hardware ' })).toBe('hardware');
  });

  it('names the choices for anything else', () => {
    expect(() => adapterChoice({ ENTROPY_SC_GPU_ADAPTER: 'cuda' })).toThrow(
      'ENTROPY_SC_GPU_ADAPTER=cuda is not a WebGPU adapter choice: should be one of auto, hardware, software',
    );
  });
});

describe('adapters', () => {
  it.skipIf(!software)('software is Mesa llvmpipe through OpenGL, with its limits', () => {
    expect(software!.info).toMatchObject({
      kind: 'software',
      backend: 'opengl',
      name: expect.stringMatching(/llvmpipe/),
    });
    expect(software!.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27);
  });

  it.skipIf(!hardware)('hardware is a GPU through Vulkan, and auto prefers it', async () => {
    expect(hardware!.info).toMatchObject({ kind: 'hardware', backend: 'vulkan' });
    expect((await chooseAdapter('auto')).info.kind).toBe('hardware');
  });

  it.skipIf(hardware !== null)(
    'without a GPU, hardware fails in one line and auto falls back to software',
    async () => {
      await expect(chooseAdapter('hardware')).rejects.toThrow(
        /^backend webgpu is not available: no hardware WebGPU adapter: .*libvulkan\.so\.1/,
      );
      if (software) expect((await chooseAdapter('auto')).info.kind).toBe('software');
    },
  );
});
