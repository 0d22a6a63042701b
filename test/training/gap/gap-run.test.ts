/**
 * `entropy-sc gap` end to end on small amortized bars runs: cli.md's JSON, the amortized ELBO on the
 * training data equal to the run's final ELBO (Θ is that data's optimum, math.md identity 1), per-point
 * gaps ≥ 0, the run's gap.json carried into the exported card, the same numbers on two threads as on one, `--compare` with its table and chart, and
 * one-line errors.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GapRecord, ModelCard } from '../../../src/schema/model-card.ts';
import { resolveRunConfig, type TrainFlags } from '../../../src/schema/run-config.ts';
import { readModelFile } from '../../../inference/card.ts';
import { loadDataSet } from '../../../src/data/data-set.ts';
import { exportRun } from '../../../training/export/export-run.ts';
import { runGaps } from '../../../training/gap/gap-files.ts';
import { loadDeployedModel } from '../../../training/artifacts/onnx-model.ts';
import { train } from '../../../training/commands/train.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';

const flags = (overrides: Partial<TrainFlags>): TrainFlags => ({
  data: 'bars',
  latents: 10,
  epochs: 3,
  batch: 250,
  lr: 3e-3,
  seed: 3,
  samples: 256,
  blocks: 1,
  hidden: 32,
  inner: 48,
  workers: 1,
  ...overrides,
});

const root = tempDir('entropy-sc-gap-');
const diag = join(root, 'diag');
const lowrank = join(root, 'lowrank');

beforeAll(async () => {
  await train({ config: resolveRunConfig(flags({ posterior: 'diag' })), out: diag, resume: false });
  await train({ config: resolveRunConfig(flags({ posterior: 'lowrank', rank: 2 })), out: lowrank, resume: false });
}, 240_000);

describe('entropy-sc gap', () => {
  it("prints the contract object; on the training data the amortized ELBO is the run's final ELBO", async () => {
    const r = await runCli(['gap', '--run', diag, '--data', 'bars', '--samples', '256', '--json', '--workers', '1']);
    expect(r.stderr).not.toMatch(/entropy-sc:/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { per_point: Record<string, number> };
    expect(Object.keys(out).slice(0, 5)).toEqual(['amortized_elbo', 'refined_elbo', 'gap', 'per_point', 'family']);
    expect(Object.keys(out.per_point)).toEqual(['mean', 'median', 'p95']);
    expect(out['family']).toBe('diag');
    const metrics = readFileSync(join(diag, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { elbo: number });
    const final = metrics[metrics.length - 1]!.elbo;
    expect(Math.abs((out['amortized_elbo'] as number) - final)).toBeLessThan(1e-4 * Math.abs(final) + 1e-4);
    expect(out['gap'] as number).toBeGreaterThan(0);
    expect((out['refined_elbo'] as number) - (out['amortized_elbo'] as number)).toBeCloseTo(out['gap'] as number, 10);
    expect(out.per_point['median']!).toBeLessThanOrEqual(out.per_point['p95']!);
  });

  it(
    "keeps the run's gap in gap.json; export puts it into the card while the run is at that epoch",
    { timeout: 180_000 },
    async () => {
      const run = join(root, 'recorded');
      cpSync(diag, run, { recursive: true });
      const [measured] = await runGaps({
        runs: [run],
        data: { kind: 'bars', size: 5, samples: 64, noise: 0.1 },
        samples: 64,
        workers: 1,
      });
      const record = JSON.parse(readFileSync(join(run, 'gap.json'), 'utf8')) as GapRecord;
      expect(record).toMatchObject({
        gap: measured!.report.gap,
        amortized_elbo: measured!.report.amortized_elbo,
        points: 64,
        family: 'diag',
        epoch: 2,
        data: { kind: 'bars', samples: 64 },
      });
      const onnx = join(root, 'recorded.onnx');
      const exported = await exportRun({ run, out: onnx, fullCovariance: false });
      expect(exported.staleGap).toBeNull();
      expect((await readModelFile(onnx)).card.amortization_gap).toEqual(record);
      expect((JSON.parse(readFileSync(exported.cardPath, 'utf8')) as ModelCard).amortization_gap).toEqual(record);

      await train({ config: resolveRunConfig(flags({ posterior: 'diag', epochs: 4 })), out: run, resume: true });
      const later = await exportRun({ run, out: onnx, fullCovariance: false });
      expect(later.staleGap).toEqual(record);
      expect((await readModelFile(onnx)).card.amortization_gap).toBeUndefined();
    },
  );

  it('gives the same per-point gaps on two refinement threads as on one, all ≥ 0', { timeout: 180_000 }, async () => {
    const options = { runs: [lowrank], data: { kind: 'bars', size: 5, samples: 120, noise: 0.1 } as const };
    const [one] = await runGaps({ ...options, workers: 1 });
    const [two] = await runGaps({ ...options, workers: 2 });
    expect(Array.from(two!.gaps)).toEqual(Array.from(one!.gaps));
    expect(Math.min(...one!.gaps)).toBeGreaterThanOrEqual(0);
    expect(two!.report.refinement.threads).toBe(2);
  });

  it(
    '--compare writes a table and the per-point distributions side by side, with --full on top',
    { timeout: 180_000 },
    async () => {
      const out = join(root, 'compare');
      const r = await runCli([
        'gap',
        '--compare',
        diag,
        lowrank,
        '--data',
        'bars',
        '--samples',
        '64',
        '--full',
        '--out',
        out,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\| diag \| diag \| 64 \|/);
      expect(r.stdout).toMatch(/\| lowrank \| lowrank \| 64 \|/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Array<{
        refined_elbo: number;
        full: { refined_elbo: number };
      }>;
      // The full family is refined from the refined posteriors, so it can only reach higher.
      for (const run of report) expect(run.full.refined_elbo).toBeGreaterThanOrEqual(run.refined_elbo - 1e-6);
      expect(readFileSync(join(out, 'gaps.md'), 'utf8')).toBe(r.stdout);
      const png = pngjs.PNG.sync.read(readFileSync(join(out, 'gaps.png')));
      expect(png.width).toBeGreaterThan(400);
    },
  );

  it(
    '--model audits an exported encoder: its amortized ELBO is the mean of the ONNX elbo output',
    { timeout: 180_000 },
    async () => {
      for (const run of [diag, lowrank]) {
        const onnx = join(root, `${basename(run)}.onnx`);
        await exportRun({ run, out: onnx, fullCovariance: false });
        const r = await runCli([
          'gap',
          '--model',
          onnx,
          '--data',
          'bars',
          '--samples',
          '96',
          '--json',
          '--workers',
          '1',
        ]);
        expect(r.code).toBe(0);
        const out = JSON.parse(r.stdout) as { amortized_elbo: number; gap: number; family: string };
        expect(out.family).toBe(basename(run));
        const deployed = await loadDeployedModel(onnx);
        try {
          const x = (await loadDataSet({ kind: 'bars', size: 5, samples: 96, noise: 0.1 }, 3)).x;
          const elbo = await deployed.onnxElbo(x, 96);
          const mean = elbo.reduce((a, b) => a + b, 0) / elbo.length;
          expect(Math.abs(out.amortized_elbo - mean)).toBeLessThan(1e-4 * Math.abs(mean));
        } finally {
          await deployed.dispose();
        }
        expect(out.gap).toBeGreaterThanOrEqual(0);
      }
    },
  );

  it('refuses a non-amortized run, a missing run and both --run and --compare with one line', async () => {
    const em = join(root, 'em');
    await train({
      config: resolveRunConfig({
        data: 'bars',
        latents: 10,
        posterior: 'full',
        amortized: false,
        epochs: 1,
        samples: 100,
      }),
      out: em,
      resume: false,
    });
    const cases: Array<[string[], RegExp]> = [
      [['gap', '--run', em, '--data', 'bars'], /non-amortized run has no encoder/],
      [['gap', '--run', join(root, 'nothing'), '--data', 'bars'], /no model card/],
      [
        ['gap', '--run', diag, '--compare', lowrank, '--data', 'bars'],
        /give one of --run DIR, --model M.onnx or --compare/,
      ],
      [['gap', '--run', diag, '--data', 'bars', '--bars-size', '4'], /D=16 but the model has D=25/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(root, 'nothing'))).toBe(false);
  });
});
