/**
 * The second baseline of the bench: the seed authors' kind of PyTorch training step and epoch
 * (bench/torch-step.py), timed in the same run, where a Python with torch is installed (Debian:
 * `apt-get install python3-torch libopenblas0-pthread`; without OpenBLAS, Debian's torch runs on the
 * reference BLAS, about 10× slower). Null, with the reason, where none is.
 */
import { spawnSync } from 'node:child_process';

export interface TorchBaseline {
  version: string;
  threads: number;
  stepSamplesPerSecond: number;
  /** seconds of a training-only epoch over `epochRows` rows */
  epochSeconds: number;
  epochRows: number;
}

const INTERPRETERS = ['python3', '/usr/bin/python3'];

export function measureTorch(threads: number, steps: number, epochRows: number): TorchBaseline | { missing: string } {
  const python = INTERPRETERS.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!python) return { missing: `no Python with torch (tried ${INTERPRETERS.join(', ')})` };
  const script = new URL('./torch-step.py', import.meta.url).pathname;
  const run = spawnSync(python, [script, String(threads), String(steps), String(epochRows)], { encoding: 'utf8' });
  if (run.status !== 0) return { missing: `${python} ${script} failed: ${run.stderr.trim().split('\n').pop()}` };
  const result = JSON.parse(run.stdout) as Omit<TorchBaseline, 'version'> & { torch: string };
  return { ...result, version: result.torch };
}
