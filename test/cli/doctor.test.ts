/** `entropy-sc doctor`: what it reports is checked against what this test can find out by itself. */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBinary } from '../helpers/cli.ts';

const bin = join(import.meta.dirname, '../../bin/entropy-sc.js');

describe('entropy-sc doctor', () => {
  const json = runBinary(['doctor', '--json']);
  const report = JSON.parse(json.stdout);

  it('reports the cores, the versions and the CPU backends', () => {
    expect(json.code).toBe(0);
    expect(report.machine.cores).toBe(availableParallelism());
    expect(report.versions.node).toBe(process.version);
    const backends = Object.fromEntries(report.tfjs.backends.map((b: { name: string }) => [b.name, b]));
    expect(Object.keys(backends)).toEqual(['wasm', 'cpu', 'webgpu', 'tensorflow']);
    expect(backends.wasm.available).toBe(true);
    expect(backends.cpu.available).toBe(true);
    // tfjs-node cannot be a dependency: doctor must say how to get it
    expect(backends.tensorflow).toMatchObject({ available: false, reason: expect.stringMatching(/tfjs-node/) });
  });

  it('names the adapter webgpu runs on, or says why it does not run', () => {
    const webgpu = report.tfjs.backends.find((b: { name: string }) => b.name === 'webgpu');
    if (webgpu.available) {
      expect(['hardware', 'software']).toContain(webgpu.adapter.kind);
      expect(report.tfjs.adapters.map((a: { name: string }) => a.name)).toContain(webgpu.adapter.name);
      // auto prefers hardware
      expect(webgpu.adapter.kind).toBe(report.tfjs.adapters[0].kind);
      expect(webgpu.adapter.limits.maxBufferSize).toBeGreaterThan(0);
    } else {
      expect(report.tfjs.adapters).toEqual([]);
      expect(webgpu.reason).toMatch(/WebGPU adapter/);
    }
  });

  it('lists onnxruntime providers, with cpu loadable and a one-line reason for each one that is not', () => {
    const providers = report.onnxruntime.providers;
    expect(providers.map((p: { name: string }) => p.name)).toContain('cpu');
    expect(providers.find((p: { name: string }) => p.name === 'cpu')).toMatchObject({ bundled: true, loadable: true });
    for (const p of providers.filter((p: { loadable: boolean }) => !p.loadable)) expect(p.reason).toMatch(/^[^\n]+$/);
  });

  it('prints the same as text', () => {
    const text = runBinary(['doctor']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${availableParallelism()} cores`);
    expect(text.stdout).toMatch(/^ {2}wasm +available$/m);
    expect(text.stdout).toMatch(/^ {2}cpu +bundled, loadable$/m);
  });

  it('refuses an unknown adapter setting in one line', () => {
    const r = spawnSync(process.execPath, [bin, 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, ENTROPY_SC_GPU_ADAPTER: 'quantum' },
    });
    expect(r.status).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('entropy-sc:')),
    ).toEqual([
      'entropy-sc: ENTROPY_SC_GPU_ADAPTER=quantum is not a WebGPU adapter choice: should be one of auto, hardware, software',
    ]);
  });
});
