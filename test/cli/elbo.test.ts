/**
 * `entropy-sc elbo` (cli.md): agreement with the float64 reference to 1e-6 relative for all three
 * families and both dtypes, and one clear line on stderr with a non-zero exit for each bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/npy/write.ts';
import { runBinary, runCli, tempDir } from '../helpers/cli.ts';
import { randomProblem, relativeError, type Problem } from '../helpers/random-problem.ts';
import * as ref from '../helpers/reference-elbo.ts';

const dir = tempDir();
const path = (name: string) => join(dir, name);
const flat = (m: number[][] | number[][][]): number[] => (m as number[][]).flat(2) as number[];

/** Writes a problem's arrays; with float32, the reference is computed on the float32-rounded values. */
async function writeProblem(p: Problem, prefix: string, dtype: 'float32' | 'float64'): Promise<Problem> {
  const round = (v: number) => (dtype === 'float32' ? Math.fround(v) : v);
  const r2 = (m: number[][]) => m.map((row) => row.map(round));
  const r3 = (m: number[][][]) => m.map(r2);
  const q: ref.RefPosterior =
    p.q.family === 'diag'
      ? { family: 'diag', mean: r2(p.q.mean), std: r2(p.q.std) }
      : p.q.family === 'lowrank'
        ? { family: 'lowrank', mean: r2(p.q.mean), factor: r3(p.q.factor), diagStd: r2(p.q.diagStd) }
        : { family: 'full', mean: r2(p.q.mean), chol: r3(p.q.chol) };
  const rounded = { ...p, x: r2(p.x), w: r2(p.w), q };
  const write = (name: string, data: number[], shape: number[]) =>
    writeNpy(path(`${prefix}-${name}.npy`), { data, shape }, { dtype });
  await write('x', flat(rounded.x), [p.n, p.d]);
  await write('w', flat(rounded.w), [p.d, p.h]);
  await write('mean', flat(q.mean), [p.n, p.h]);
  if (q.family === 'diag') await write('std', flat(q.std), [p.n, p.h]);
  if (q.family === 'lowrank') {
    await write('factor', flat(q.factor), [p.n, p.h, p.r]);
    await write('dstd', flat(q.diagStd), [p.n, p.h]);
  }
  if (q.family === 'full') await write('chol', flat(q.chol), [p.n, p.h, p.h]);
  return rounded;
}

function args(prefix: string, family: Problem['q']['family']): string[] {
  const f = (name: string) => path(`${prefix}-${name}.npy`);
  const cov =
    family === 'diag'
      ? ['--std', f('std')]
      : family === 'lowrank'
        ? ['--factor', f('factor'), '--diag-std', f('dstd')]
        : ['--chol', f('chol')];
  return ['elbo', '--data', f('x'), '--weights', f('w'), '--mean', f('mean'), ...cov];
}

describe('entropy-sc elbo', () => {
  it.each([
    ['diag', 'float64'],
    ['diag', 'float32'],
    ['lowrank', 'float64'],
    ['full', 'float32'],
  ] as const)('agrees with float64 formulas to 1e-6 (%s, %s)', async (family, dtype) => {
    // 5000 points in chunks of 4096 rows: the streamed path crosses a chunk boundary
    const n = family === 'full' ? 300 : 5000;
    const p = await writeProblem(randomProblem(31, family, n, 12, 6, 2), `${family}-${dtype}`, dtype);
    const result = await runCli([...args(`${family}-${dtype}`, family), '--gamma', '1.5', '--delta', '0.5']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const got = JSON.parse(result.stdout);
    const expected = ref.entropyElbo(p.x, p.w, p.q, 1.5, 0.5);
    expect(Object.keys(got)).toEqual([
      'elbo',
      'entropy_q',
      'entropy_prior',
      'entropy_likelihood',
      'lambda',
      'sigma2',
      'n',
      'd',
      'h',
    ]);
    expect(relativeError(got.elbo, expected.elbo)).toBeLessThan(1e-6);
    expect(relativeError(got.entropy_q, expected.entropyQ)).toBeLessThan(1e-6);
    expect(relativeError(got.entropy_prior, expected.entropyPrior)).toBeLessThan(1e-6);
    expect(relativeError(got.entropy_likelihood, expected.entropyLikelihood)).toBeLessThan(1e-6);
    expect(relativeError(got.sigma2, expected.sigma2)).toBeLessThan(1e-6);
    got.lambda.forEach((l: number, k: number) => expect(relativeError(l, expected.lambda[k]!)).toBeLessThan(1e-6));
    expect([got.n, got.d, got.h]).toEqual([n, 12, 6]);
  });

  describe('bad input', () => {
    beforeAll(async () => {
      const good = randomProblem(3, 'diag', 4, 3, 2);
      await writeProblem(good, 'good', 'float32');
      await writeNpy(path('x-wide.npy'), { data: new Array(4 * 5).fill(1), shape: [4, 5] });
      await writeNpy(path('mean-short.npy'), { data: new Array(3 * 2).fill(1), shape: [3, 2] });
      await writeNpy(path('std-h3.npy'), { data: new Array(4 * 3).fill(1), shape: [4, 3] });
      await writeNpy(path('std-zero.npy'), { data: [1, 1, 1, 0, 1, 1, 1, 1], shape: [4, 2] });
      await writeNpy(path('std-nan.npy'), { data: [1, 1, 1, 1, NaN, 1, 1, 1], shape: [4, 2] });
      await writeNpy(path('x-inf.npy'), { data: [0, 0, 0, 0, 0, 0, 0, Infinity, 0, 0, 0, 0], shape: [4, 3] });
      writeFileSync(path('not-npy.npy'), 'hello, this is not an array');
      // a valid .npy header with an int32 dtype
      const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (4, 3), }";
      const padded = header + ' '.repeat(128 - 10 - header.length - 1) + '\n';
      const bytes = Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from('NUMPY'),
        Buffer.from([1, 0]),
        Buffer.from([padded.length, 0]),
        Buffer.from(padded, 'latin1'),
        Buffer.alloc(48),
      ]);
      writeFileSync(path('int.npy'), bytes);
    });

    const base = () => [
      'elbo',
      '--data',
      path('good-x.npy'),
      '--weights',
      path('good-w.npy'),
      '--mean',
      path('good-mean.npy'),
    ];
    const cases: Array<[string, () => string[], RegExp]> = [
      ['missing file', () => [...base(), '--std', path('nope.npy')], /nope\.npy/],
      [
        'not an .npy',
        () => [
          'elbo',
          '--data',
          path('not-npy.npy'),
          '--weights',
          path('good-w.npy'),
          '--mean',
          path('good-mean.npy'),
          '--std',
          path('good-std.npy'),
        ],
        /not-npy\.npy/,
      ],
      [
        'wrong dtype',
        () => [
          'elbo',
          '--data',
          path('int.npy'),
          '--weights',
          path('good-w.npy'),
          '--mean',
          path('good-mean.npy'),
          '--std',
          path('good-std.npy'),
        ],
        /int\.npy.*(dtype|<i4)/,
      ],
      [
        'mismatched D',
        () => [
          'elbo',
          '--data',
          path('x-wide.npy'),
          '--weights',
          path('good-w.npy'),
          '--mean',
          path('good-mean.npy'),
          '--std',
          path('good-std.npy'),
        ],
        /D=3.*D=5|D=5.*D=3/,
      ],
      [
        'mismatched N',
        () => [
          'elbo',
          '--data',
          path('good-x.npy'),
          '--weights',
          path('good-w.npy'),
          '--mean',
          path('mean-short.npy'),
          '--std',
          path('good-std.npy'),
        ],
        /N=3.*N=4/,
      ],
      ['mismatched H', () => [...base(), '--std', path('std-h3.npy')], /H=3.*H=2/],
      ['std ≤ 0', () => [...base(), '--std', path('std-zero.npy')], /std-zero\.npy.*> 0.*\[1, 1\]/],
      ['NaN', () => [...base(), '--std', path('std-nan.npy')], /std-nan\.npy.*NaN.*\[2, 0\]/],
      [
        'Inf',
        () => [
          'elbo',
          '--data',
          path('x-inf.npy'),
          '--weights',
          path('good-w.npy'),
          '--mean',
          path('good-mean.npy'),
          '--std',
          path('good-std.npy'),
        ],
        /x-inf\.npy.*Infinity.*\[2, 1\]/,
      ],
      ['no covariance', () => base(), /exactly one covariance/],
      [
        'two covariances',
        () => [...base(), '--std', path('good-std.npy'), '--chol', path('good-std.npy')],
        /exactly one covariance/,
      ],
    ];
    it.each(cases)('%s: one line on stderr, non-zero exit', async (_name, argv, message) => {
      const result = await runCli(argv());
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    });

    it('the real binary exits non-zero with one line and no stack trace', () => {
      const result = runBinary([...base(), '--std', path('std-zero.npy')]);
      expect(result.code).toBe(1);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  });
});
