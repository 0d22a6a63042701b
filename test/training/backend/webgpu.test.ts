/**
 * The webgpu backend (its own vitest project: no wasm set-up file). CI has no GPU, so these run on
 * the software adapter (Mesa llvmpipe, through Dawn's OpenGL backend), and on a GPU machine on the
 * hardware one: the objective of the three families against the float64 reference, its gradients
 * against float64 finite differences and against wasm, short amortized runs of both families equal
 * to the same runs on wasm, and an exact --resume. Without any adapter the file skips, saying why.
 * Small shapes: the software adapter is slow.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { resolveRunConfig, type TrainFlags } from '../../../src/schema/run-config.ts';
import { useBackend } from '../../../training/backend/backend.ts';
import { installedAdapter } from '../../../training/backend/install-adapter.ts';
import { annealedObjective, batchEntropies } from '../../../training/objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../../../training/objective/point-statistics.ts';
import type { Posterior, PosteriorFamily } from '../../../training/objective/posterior.ts';
import { train } from '../../../training/commands/train.ts';
import { tempDir } from '../../helpers/cli.ts';
import { randomProblem, relativeError, toTensors, type Problem } from '../../helpers/random-problem.ts';
import * as ref from '../../helpers/reference-elbo.ts';

const missing = await useBackend('webgpu').then(
  () => null,
  (error: Error) => error.message,
);
if (missing) console.warn(`skipping the webgpu tests: ${missing}`);
else console.warn(`webgpu tests on the ${installedAdapter()!.info.kind} adapter ${installedAdapter()!.info.name}`);

const families: PosteriorFamily[] = ['diag', 'lowrank', 'full'];

async function read(t: tf.Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

function objective(x: tf.Tensor2D, w: tf.Tensor2D, q: Posterior, gamma: number, delta: number): tf.Scalar {
  return annealedObjective(batchEntropies(pointStatistics(x, normalizeColumns(w), q), x.shape[1]), gamma, delta);
}

function parameters(q: Posterior): tf.Tensor[] {
  if (q.family === 'diag') return [q.mean, q.std];
  if (q.family === 'lowrank') return [q.mean, q.factor, q.diagStd];
  return [q.mean, q.chol];
}

function rebuild(q: Posterior, v: tf.Tensor[]): Posterior {
  if (q.family === 'diag') return { family: 'diag', mean: v[0] as tf.Tensor2D, std: v[1] as tf.Tensor2D };
  if (q.family === 'lowrank')
    return { family: 'lowrank', mean: v[0] as tf.Tensor2D, factor: v[1] as tf.Tensor3D, diagStd: v[2] as tf.Tensor2D };
  return { family: 'full', mean: v[0] as tf.Tensor2D, chol: v[1] as tf.Tensor3D };
}

/** The objective L_{γ,δ} and its gradients w.r.t. W and the posterior parameters, on `backend`, flattened. */
async function objectiveAndGradients(
  backend: string,
  p: Problem,
  gamma: number,
  delta: number,
): Promise<{ value: number; grads: Float32Array[] }> {
  await useBackend(backend);
  const { x, w, q } = toTensors(p);
  const inputs = [w, ...parameters(q)];
  const { value, grads } = tf.valueAndGrads((...v: tf.Tensor[]) =>
    objective(x, v[0] as tf.Tensor2D, rebuild(q, v.slice(1)), gamma, delta),
  )(inputs);
  const result = { value: (await read(value))[0]!, grads: await Promise.all(grads.map(read)) };
  tf.dispose([x, ...inputs]);
  return result;
}

const flags = (overrides: Partial<TrainFlags>): TrainFlags => ({
  data: 'bars',
  latents: 10,
  epochs: 2,
  batch: 100,
  lr: 3e-3,
  seed: 5,
  samples: 300,
  blocks: 1,
  hidden: 32,
  inner: 48,
  workers: 1,
  ...overrides,
});

const readMetrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const {
        seconds: _s,
        samples_per_second: _r,
        eval_seconds: _e,
        ...rest
      } = JSON.parse(line) as Record<string, number>;
      return rest;
    });

async function run(backend: string, overrides: Partial<TrainFlags>, out = tempDir(), resume = false): Promise<string> {
  await useBackend(backend);
  await train({ config: resolveRunConfig(flags({ backend, ...overrides })), out, resume });
  return out;
}

describe.skipIf(missing !== null)('the webgpu backend', () => {
  it.each(families)('computes the %s objective of the float64 reference', async (family) => {
    // H > D included (r = 1 is left out: tf.unstack over a size-1 axis has no gradient in tfjs)
    for (const [seed, n, d, h, r] of [
      [1, 7, 6, 4, 2],
      [2, 5, 3, 8, 2],
    ]) {
      const p = randomProblem(seed!, family, n!, d!, h!, r);
      const expected = ref.entropyElbo(p.x, p.w, p.q, 1.7, 0.6);
      const { value } = await objectiveAndGradients('webgpu', p, 1.7, 0.6);
      const scale =
        Math.abs(expected.entropyQ) + Math.abs(expected.entropyPrior) + Math.abs(expected.entropyLikelihood);
      expect(Math.abs(value - expected.elbo) / scale).toBeLessThan(1e-5);
    }
  });

  it.each(families)('has %s gradients equal to float64 finite differences and to wasm', async (family) => {
    const p = randomProblem(5, family, 4, 4, 3, 2);
    const gpu = await objectiveAndGradients('webgpu', p, 1.3, 0.8);
    const eps = 1e-6;
    const fdW = (i: number, j: number) => {
      const at = (sign: number) =>
        ref.entropyElbo(
          p.x,
          p.w.map((row, a) => row.map((v, b) => (a === i && b === j ? v + sign * eps : v))),
          p.q,
          1.3,
          0.8,
        ).elbo;
      return (at(1) - at(-1)) / (2 * eps);
    };
    const fdMean = (i: number, j: number) => {
      const at = (sign: number) =>
        ref.entropyElbo(
          p.x,
          p.w,
          { ...p.q, mean: p.q.mean.map((row, a) => row.map((v, b) => (a === i && b === j ? v + sign * eps : v))) },
          1.3,
          0.8,
        ).elbo;
      return (at(1) - at(-1)) / (2 * eps);
    };
    expect(gpu.grads[0]![1 * 3 + 2]!).toBeCloseTo(fdW(1, 2), 3);
    expect(gpu.grads[0]![3 * 3 + 0]!).toBeCloseTo(fdW(3, 0), 3);
    expect(gpu.grads[1]![2 * 3 + 1]!).toBeCloseTo(fdMean(2, 1), 3);
    const wasm = await objectiveAndGradients('wasm', p, 1.3, 0.8);
    expect(relativeError(gpu.value, wasm.value)).toBeLessThan(1e-5);
    gpu.grads.forEach((g, k) => {
      const b = wasm.grads[k]!;
      const norm = Math.hypot(...b);
      expect(norm).toBeGreaterThan(1e-3);
      expect(Math.hypot(...g.map((v, i) => v - b[i]!)) / norm).toBeLessThan(1e-4);
    });
  });

  it.each(['diag', 'lowrank'] as const)('trains the %s family as wasm does, and the ELBO rises', async (posterior) => {
    const gpu = readMetrics(await run('webgpu', { posterior }));
    const wasm = readMetrics(await run('wasm', { posterior }));
    expect(gpu.map((m) => m['epoch'])).toEqual([0, 1]);
    expect(gpu[1]!['elbo']!).toBeGreaterThan(gpu[0]!['elbo']!);
    gpu.forEach((row, epoch) => {
      for (const key of ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2', 'gini_mean'])
        expect(relativeError(row[key]!, wasm[epoch]![key]!), `${key} of epoch ${epoch}`).toBeLessThan(1e-4);
    });
  });

  it('resumes to exactly the metrics of an uninterrupted run', async () => {
    const whole = readMetrics(await run('webgpu', { posterior: 'diag' }));
    const out = await run('webgpu', { posterior: 'diag', epochs: 1 });
    const resumed = readMetrics(await run('webgpu', { posterior: 'diag' }, out, true));
    expect(resumed).toEqual(whole);
  });

  it('refuses non-amortized learning and --workers in one line', async () => {
    await expect(
      run('webgpu', {
        posterior: 'full',
        amortized: false,
        hidden: undefined,
        inner: undefined,
        blocks: undefined,
        workers: undefined,
      }),
    ).rejects.toThrow(/--backend webgpu trains amortized encoders only/);
    await expect(run('webgpu', { workers: 2 })).rejects.toThrow(/--workers .* does not apply to --backend webgpu/);
  });

  it('turns a synchronous read of a GPU tensor into one line', async () => {
    await useBackend('webgpu');
    const t = tf.square(tf.tensor1d([1, 2, 3]));
    expect(() => t.dataSync()).toThrow(/reads tensors synchronously, which --backend webgpu cannot do in Node/);
    expect(Array.from(await read(t))).toEqual([1, 4, 9]);
  });
});
