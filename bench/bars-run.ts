/**
 * Wall time of the paper's bars experiment with the defaults (`train --data bars --latents 10
 * --posterior full --no-amortized`): N = 1000, 5×5 bars, joint L-BFGS, 50 epochs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRunConfig } from '../src/schema/run-config.ts';
import { train } from '../training/commands/train.ts';

export async function measureBarsRun(seed: number): Promise<{ seconds: number; recovered: number; elbo: number }> {
  const out = mkdtempSync(join(tmpdir(), 'entropy-sc-bench-bars-'));
  const started = performance.now();
  const config = resolveRunConfig({
    data: 'bars',
    latents: 10,
    posterior: 'full',
    amortized: false,
    backend: 'wasm',
    seed,
  });
  const metrics = await train({ config, out, resume: false });
  const seconds = (performance.now() - started) / 1000;
  rmSync(out, { recursive: true, force: true });
  const last = metrics[metrics.length - 1]!;
  return { seconds, recovered: Number(last['bars_recovered']), elbo: last.elbo };
}
