/**
 * Issue 9, through the real binary: every bad input or output path is one line on stderr naming the
 * problem, a non-zero exit, no stack trace, and no file the user had is gone.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/npy/write.ts';
import { tempDir, type CliResult } from '../helpers/cli.ts';
import { randomProblem } from '../helpers/random-problem.ts';
import * as ref from '../helpers/reference-elbo.ts';

const bin = join(import.meta.dirname, '../../bin/entropy-sc.js');

/** The real binary, asynchronously, so that independent runs share the cores. */
function run(args: string[], options: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Exit 1 and exactly one line matching `pattern`. */
function expectOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^entropy-sc: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(1);
}

const dir = tempDir();
const file = (name: string) => join(dir, name);
const f64 = { dtype: 'float64' as const };
// a tiny diag problem: x [4, 3], W [3, 2], means and standard deviations [4, 2]
const x = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
const w = Float64Array.from({ length: 6 }, (_, i) => Math.cos(i + 1));
const mean = Float64Array.from({ length: 8 }, (_, i) => 0.1 * i);
const std = new Float64Array(8).fill(0.5);
const withValue = (a: Float64Array, i: number, v: number) => Object.assign(a.slice(), { [i]: v });

describe('elbo and evaluate on values float32 cannot carry (item 3)', () => {
  it('names the file and the value instead of printing "elbo": null', async () => {
    await writeNpy(file('x.npy'), { data: x, shape: [4, 3] }, f64);
    await writeNpy(file('w.npy'), { data: w, shape: [3, 2] }, f64);
    await writeNpy(file('mu.npy'), { data: mean, shape: [4, 2] }, f64);
    await writeNpy(file('s.npy'), { data: std, shape: [4, 2] }, f64);
    await writeNpy(file('x-big.npy'), { data: withValue(x, 4, 1e20), shape: [4, 3] }, f64);
    await writeNpy(file('mu-big.npy'), { data: withValue(mean, 3, 1e20), shape: [4, 2] }, f64);
    await writeNpy(file('s-tiny.npy'), { data: withValue(std, 5, 1e-25), shape: [4, 2] }, f64);
    await writeNpy(file('x-huge.npy'), { data: withValue(x, 0, 1e300), shape: [4, 3] }, f64);
    const elbo = (data: string, mu: string, s: string) =>
      run(['elbo', '--data', file(data), '--weights', file('w.npy'), '--mean', file(mu), '--std', file(s)]);
    const [big, bigMean, tiny, huge, evaluated, fine] = await Promise.all([
      elbo('x-big.npy', 'mu.npy', 's.npy'),
      elbo('x.npy', 'mu-big.npy', 's.npy'),
      elbo('x.npy', 'mu.npy', 's-tiny.npy'),
      elbo('x-huge.npy', 'mu.npy', 's.npy'),
      run(['evaluate', '--weights', file('w.npy'), '--data', file('x-big.npy')]),
      elbo('x.npy', 'mu.npy', 's.npy'),
    ]);
    expectOneLine(
      big,
      /x-big\.npy: the value 1e\+20 at \[1, 1\] is beyond what the float32 computation can hold: point 1 gets squared error Infinity/,
    );
    expectOneLine(bigMean, /mu-big\.npy: the value 1e\+20 at \[1, 1\]/);
    expectOneLine(tiny, /s-tiny\.npy: the value 1e-25 at \[2, 1\] .* point 2 gets log det T -Infinity/);
    expectOneLine(huge, /x-huge\.npy: value 1e\+300 is beyond float32's range .* at \[0, 0\]/);
    expectOneLine(evaluated, /x-big\.npy: the value 1e\+20 at \[1, 1\] .* row 1 has ‖x‖² = 1e\+40/);
    for (const r of [big, bigMean, tiny, huge, evaluated]) expect(r.stdout).toBe('');
    expect(fine.code).toBe(0);
    expect(JSON.parse(fine.stdout).elbo).toEqual(expect.any(Number));
  });
});

describe("elbo --chol ignores L's upper triangle (item 13)", () => {
  it('gives the float64 reference of the lower triangle whatever the upper one holds, NaN included', async () => {
    const p = randomProblem(13, 'full', 40, 5, 4);
    if (p.q.family !== 'full') throw new Error('full problem expected');
    const garbage = p.q.chol.map((l) => l.map((row, i) => row.map((v, j) => (j > i ? ((i + j) % 2 ? NaN : 1e30) : v))));
    await writeNpy(file('fx.npy'), { data: p.x.flat(), shape: [p.n, p.d] }, f64);
    await writeNpy(file('fw.npy'), { data: p.w.flat(), shape: [p.d, p.h] }, f64);
    await writeNpy(file('fmu.npy'), { data: p.q.mean.flat(), shape: [p.n, p.h] }, f64);
    await writeNpy(file('fl.npy'), { data: garbage.flat(2), shape: [p.n, p.h, p.h] }, f64);
    const r = await run([
      'elbo',
      '--data',
      file('fx.npy'),
      '--weights',
      file('fw.npy'),
      '--mean',
      file('fmu.npy'),
      '--chol',
      file('fl.npy'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = ref.entropyElbo(p.x, p.w, p.q).elbo;
    expect(Math.abs(JSON.parse(r.stdout).elbo - expected) / Math.abs(expected)).toBeLessThan(1e-5);
  });
});

describe('train flags (items 9, 11, 14)', () => {
  it('refuses --anneal constructor, toString and __proto__ with one line; refuses a seed beyond 2³² − 1', async () => {
    const base = ['train', '--data', 'bars', '--latents', '10', '--epochs', '1'];
    const results = await Promise.all([
      ...['constructor', 'toString', '__proto__'].map((a) =>
        run([...base, '--anneal', a, '--out', file(`anneal-${a}`)]),
      ),
      run([...base, '--seed', '4294967297', '--out', file('seed')]),
    ]);
    results
      .slice(0, 3)
      .forEach((r, i) =>
        expectOneLine(r, new RegExp(`--anneal: cannot read '${['constructor', 'toString', '__proto__'][i]}'`)),
      );
    const seed = results[3]!;
    expect(seed.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(seed.stderr).toMatch(/--seed.*4294967297.*\[0, 4294967295\]/);
    expect(seed.code).toBe(2);
  });

  it('--latents 3 needs no --rank for diag and full; the low-rank default is min(5, H)', async () => {
    const bars = ['train', '--data', 'bars', '--bars-size', '2', '--samples', '40', '--latents', '3', '--epochs', '1'];
    const one = ['--workers', '1'];
    const [diag, full, lowrank] = await Promise.all([
      run([...bars, ...one, '--hidden', '8', '--inner', '8', '--blocks', '1', '--out', file('h3-diag')]),
      run([...bars, '--posterior', 'full', '--no-amortized', '--out', file('h3-full')]),
      run([
        ...bars,
        ...one,
        '--posterior',
        'lowrank',
        '--hidden',
        '8',
        '--inner',
        '8',
        '--blocks',
        '1',
        '--out',
        file('h3-lowrank'),
      ]),
    ]);
    for (const r of [diag, full, lowrank]) expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file('h3-full/model.json'), 'utf8')).rank).toBeNull();
    expect(JSON.parse(readFileSync(file('h3-lowrank/model.json'), 'utf8')).rank).toBe(3);
  });
});

describe('output paths (items 5, 6)', () => {
  it(
    'fails at once with one line for /proc, /sys, a file, /dev/null, "", an existing folder for a file',
    { timeout: 180_000 },
    async () => {
      writeFileSync(file('a-file'), 'user data\n');
      mkdirSync(file('a-folder'));
      writeFileSync(file('a-folder/keep.txt'), 'user data\n');
      const train = (out: string) => run(['train', '--data', 'bars', '--latents', '10', '--epochs', '1', '--out', out]);
      const results = await Promise.all([
        train('/proc/entropy-sc-test'),
        train('/sys/entropy-sc-test'),
        train(file('a-file')),
        train('/dev/null'),
        train(''),
        run(['evaluate', '--weights', file('w.npy'), '--data', file('x.npy'), '--out', '/proc/x']),
        run(['evaluate', '--weights', file('w.npy'), '--data', file('x.npy'), '--out', file('a-file')]),
        run(['patches', '--data', 'images:', '--samples', '10', '--out', file('a-folder')]),
        run(['patches', '--data', 'images:', '--samples', '10', '--out', '/dev/null']),
      ]);
      const patterns = [
        /--out \/proc\/entropy-sc-test: \/proc is on the virtual proc file system/,
        /--out \/sys\/entropy-sc-test: \/sys is on the virtual sysfs file system/,
        /a-file is a file; give a folder/,
        /--out \/dev\/null: \/dev\/null is not a folder/,
        /--out: the folder name is empty/,
        /--out \/proc\/x: \/proc is on the virtual proc file system/,
        /a-file is a file; give a folder/,
        /a-folder: is a folder; give the path of a file to write/,
        /\/dev\/null: is not a regular file/,
      ];
      results.forEach((r, i) => expectOneLine(r, patterns[i]!));
      expect(readFileSync(file('a-file'), 'utf8')).toBe('user data\n');
      expect(readdirSync(file('a-folder'))).toEqual(['keep.txt']);
    },
  );

  it.runIf(process.getuid?.() === 0)('says so when the user cannot write the folder (run as nobody)', async () => {
    const locked = file('locked');
    mkdirSync(locked);
    chmodSync(locked, 0o755);
    chmodSync(dir, 0o755);
    const r = await run(['train', '--data', 'bars', '--latents', '10', '--epochs', '1', '--out', join(locked, 'run')], {
      uid: 65534,
      gid: 65534,
    });
    expectOneLine(r, /cannot write into .*locked \(permission denied\)/);
  });
});
