/**
 * `entropy-sc evaluate` (cli.md): fits posteriors for a fixed dictionary and ranks dictionaries by
 * their ELBO (the generating bars above a random and above a noisy copy of them); writes the fitted
 * posteriors; one clear line and a non-zero exit for each bad input. Data too large for one L-BFGS
 * problem is fitted in chunks, to the same ELBO.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { barsDictionary, generateBars } from '../../../src/data/bars.ts';
import { readNpy } from '../../../src/npy/read.ts';
import { writeNpy } from '../../../src/npy/write.ts';
import { Random } from '../../../src/random.ts';
import { evaluateDictionary } from '../../../training/per-point/evaluate-dictionary.ts';
import { runBinary, runCli, tempDir } from '../../helpers/cli.ts';

const dir = tempDir();
const path = (name: string) => join(dir, name);
const KEYS = ['elbo', 'entropy_q', 'entropy_prior', 'entropy_likelihood', 'sigma2', 'gini_mean', 'gini_sd'];

// 4×4 bars (D = 16, H = 8), 200 points
const SIZE = 4;
const D = SIZE * SIZE;
const H = 2 * SIZE;

beforeAll(async () => {
  const bars = generateBars({ size: SIZE, samples: 200, noise: 0.1, seed: 5 });
  await writeNpy(path('x.npy'), { data: bars.x, shape: [bars.n, bars.d] });
  const truth = barsDictionary(SIZE);
  await writeNpy(path('truth.npy'), { data: truth, shape: [D, H] });
  const rng = new Random(11);
  await writeNpy(path('random.npy'), { data: Float64Array.from(truth, () => rng.normal()), shape: [D, H] });
  await writeNpy(path('noisy.npy'), { data: Float64Array.from(truth, (v) => v + 0.3 * rng.normal()), shape: [D, H] });
  await writeNpy(path('short.npy'), { data: new Float64Array((D - 1) * H).fill(1), shape: [D - 1, H] });
  await writeNpy(path('flat.npy'), { data: new Float64Array(D), shape: [D] });
  const nan = Float64Array.from(truth);
  nan[5] = Number.NaN;
  await writeNpy(path('nan.npy'), { data: nan, shape: [D, H] });
  const zero = Float64Array.from(truth);
  for (let i = 0; i < D; i++) zero[i * H + 3] = 0;
  await writeNpy(path('zero.npy'), { data: zero, shape: [D, H] });
  const xInf = Float32Array.from(bars.x);
  xInf[7] = Number.POSITIVE_INFINITY;
  await writeNpy(path('x-inf.npy'), { data: xInf, shape: [bars.n, bars.d] });
  writeFileSync(path('garbage.npy'), 'not an array');
});

async function score(weights: string, extra: string[] = []): Promise<Record<string, number>> {
  const result = await runCli(['evaluate', '--weights', path(weights), '--data', path('x.npy'), ...extra]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.trim().split('\n')).toHaveLength(1);
  const report = JSON.parse(result.stdout) as Record<string, number>;
  expect(Object.keys(report)).toEqual(KEYS);
  for (const key of KEYS) expect(Number.isFinite(report[key])).toBe(true);
  return report;
}

describe('entropy-sc evaluate', () => {
  it('ranks the generating bars above a noisy copy and above a random dictionary', async () => {
    const truth = await score('truth.npy');
    const noisy = await score('noisy.npy');
    const random = await score('random.npy');
    expect(truth.elbo).toBeGreaterThan(noisy.elbo + 0.5);
    expect(noisy.elbo).toBeGreaterThan(random.elbo);
    expect(truth.sigma2).toBeGreaterThan(0.005);
    expect(truth.sigma2).toBeLessThan(0.02); // the generating noise variance is 0.01
    expect(truth.elbo).toBeCloseTo(truth.entropy_q - truth.entropy_prior - truth.entropy_likelihood, 10);
  });

  it('fits full covariances at least as well as diagonal ones, and writes them with --out', async () => {
    const diag = await score('truth.npy');
    const out = path('full-out');
    const full = await score('truth.npy', ['--posterior', 'full', '--out', out]);
    expect(full.elbo).toBeGreaterThan(diag.elbo - 1e-3);
    const mean = await readNpy(join(out, 'mean.npy'));
    const chol = await readNpy(join(out, 'chol.npy'));
    expect(mean.shape).toEqual([200, H]);
    expect(chol.shape).toEqual([200, H, H]);
    expect(chol.data[1]).toBe(0); // upper triangle
    expect(existsSync(join(out, 'std.npy'))).toBe(false);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(report['elbo']).toBeCloseTo(full.elbo, 10);
    expect(report['lambda']).toHaveLength(H);
    // the written posteriors reproduce the ELBO through `entropy-sc elbo`
    const check = await runCli([
      'elbo',
      '--data',
      path('x.npy'),
      '--weights',
      path('truth.npy'),
      '--mean',
      join(out, 'mean.npy'),
      '--chol',
      join(out, 'chol.npy'),
    ]);
    expect(check.code).toBe(0);
    expect((JSON.parse(check.stdout) as { elbo: number }).elbo).toBeCloseTo(full.elbo, 4);
  });

  it('accepts --data bars', async () => {
    const result = await runCli([
      'evaluate',
      '--weights',
      path('truth.npy'),
      '--data',
      'bars',
      '--bars-size',
      String(SIZE),
      '--samples',
      '100',
      '--iterations',
      '100',
    ]);
    expect(result.stderr).toBe('');
    expect(Object.keys(JSON.parse(result.stdout) as object)).toEqual(KEYS);
  });

  it.each([
    ['a missing weights file', ['--weights', 'missing.npy', '--data', 'x.npy'], /missing\.npy: no such file/],
    ['a missing data file', ['--weights', 'truth.npy', '--data', 'missing.npy'], /missing\.npy: no such file/],
    [
      'mismatched D',
      ['--weights', 'short.npy', '--data', 'x.npy'],
      /short\.npy has D=15 rows but data .*x\.npy has D=16 columns/,
    ],
    [
      'weights that are not a matrix',
      ['--weights', 'flat.npy', '--data', 'x.npy'],
      /flat\.npy: weights must be \[D, H\], got shape \[16\]/,
    ],
    ['NaN in the weights', ['--weights', 'nan.npy', '--data', 'x.npy'], /nan\.npy: non-finite value NaN at \[0, 5\]/],
    ['a zero column', ['--weights', 'zero.npy', '--data', 'x.npy'], /zero\.npy: column 3 is all zeros/],
    [
      'Inf in the data',
      ['--weights', 'truth.npy', '--data', 'x-inf.npy'],
      /x-inf\.npy: non-finite value Infinity at \[0, 7\]/,
    ],
    ['a file that is not .npy', ['--weights', 'garbage.npy', '--data', 'x.npy'], /garbage\.npy/],
  ])('fails with one line for %s', async (_name, args, message) => {
    const withPaths = args.map((a) => (a.endsWith('.npy') ? path(a) : a));
    const result = await runCli(['evaluate', ...withPaths]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails with one line and no stack trace from the real binary', () => {
    const result = runBinary(['evaluate', '--weights', path('short.npy'), '--data', path('x.npy')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('rejects a family other than diag or full', async () => {
    const result = await runCli([
      'evaluate',
      '--weights',
      path('truth.npy'),
      '--data',
      path('x.npy'),
      '--posterior',
      'lowrank',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--posterior/);
  });
});

describe('evaluateDictionary in chunks', () => {
  it('reaches the ELBO of the one-shot fit when the data is fitted a chunk at a time', () => {
    const bars = generateBars({ size: SIZE, samples: 300, noise: 0.1, seed: 9 });
    const input = {
      x: bars.x,
      n: bars.n,
      d: bars.d,
      w: Float32Array.from(bars.w),
      h: bars.h,
      family: 'diag' as const,
      seed: 1,
    };
    const oneShot = evaluateDictionary(input);
    // 300 points × 16 values in chunks of at most 1000 values: 5 chunks of 60 points
    const chunked = evaluateDictionary({ ...input, jointLimit: 1000, passes: 20 });
    expect(chunked.report.elbo).toBeCloseTo(oneShot.report.elbo, 3);
    expect(chunked.report.sigma2).toBeCloseTo(oneShot.report.sigma2, 5);
  });
});
