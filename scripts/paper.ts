/**
 * `npm run paper`: the paper's comparison (Fig. 3 and Section 4.2) on the shipped natural images, as
 * one command: amortized diagonal and low-rank encoders, each with and without prior annealing, and
 * non-amortized EM-like learning (diagonal, with and without prior annealing) as the reference without
 * amortization. Writes into the output folder one run per variant, paper.md (final ELBO, Gini ± SD,
 * amortization gap, wall time), paper.json and paper.png (the ELBO curves of all runs).
 *
 *   npm run paper -- [--out runs/paper] [--samples 20000] [--epochs 10] [--em-epochs 10] [--gap-points 1000]
 *
 * The defaults take about 23 minutes on two cores (41 with the former 20-iteration EM refit: README);
 * smaller values give a quick version.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../src/errors.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { resolveRunConfig, type TrainFlags } from '../src/schema/run-config.ts';
import { chartPng } from '../plot/render.ts';
import { runComparisonSpec } from '../plot/run-comparison.ts';
import { useBackend } from '../training/backend/backend.ts';
import { runGaps } from '../training/gap/gap-files.ts';
import type { MetricsRow } from '../training/run/run-files.ts';
import { train } from '../training/commands/train.ts';

const { values } = parseArgs({
  allowPositionals: true, // bin/run-ts.js passes the script's own path first
  options: {
    out: { type: 'string', default: 'runs/paper' },
    samples: { type: 'string', default: '20000' },
    epochs: { type: 'string', default: '10' },
    'em-epochs': { type: 'string', default: '10' },
    'gap-points': { type: 'string', default: '1000' },
  },
});
const count = (name: string, text: string) => {
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return v;
};
const out = values.out;
const samples = count('samples', values.samples);
const epochs = count('epochs', values.epochs);
const emEpochs = count('em-epochs', values['em-epochs']);
const gapPoints = count('gap-points', values['gap-points']);

interface Variant {
  name: string;
  flags: Partial<TrainFlags>;
}

const variants: Variant[] = [
  { name: 'amortized diag', flags: { posterior: 'diag', anneal: 'none', epochs } },
  { name: 'amortized diag, prior annealing', flags: { posterior: 'diag', anneal: 'prior', epochs } },
  { name: 'amortized lowrank', flags: { posterior: 'lowrank', anneal: 'none', epochs } },
  { name: 'amortized lowrank, prior annealing', flags: { posterior: 'lowrank', anneal: 'prior', epochs } },
  // EM-like learning needs N × parameters per point above the joint limit (10⁶): N > 5 000 at H = 100.
  { name: 'EM diag', flags: { posterior: 'diag', amortized: false, anneal: 'none', epochs: emEpochs } },
  {
    name: 'EM diag, prior annealing',
    flags: { posterior: 'diag', amortized: false, anneal: 'prior', epochs: emEpochs },
  },
];

await useBackend('wasm');
const data = { kind: 'images', source: '', patch: 16, samples: Math.min(samples, gapPoints), whiten: true } as const;
const rows: Array<Record<string, unknown>> = [];
const curves: Array<{ name: string; rows: MetricsRow[] }> = [];
for (const variant of variants) {
  const dir = join(out, variant.name.replace(/[ ,]+/g, '-'));
  await rm(dir, { recursive: true, force: true }); // the script's own run folders
  process.stderr.write(`\n== ${variant.name} → ${dir}\n`);
  const started = performance.now();
  let metrics: MetricsRow[];
  try {
    metrics = await train({
      config: resolveRunConfig({ data: 'images:', latents: 100, samples, ...variant.flags }),
      out: dir,
      resume: false,
    });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // A diverged variant is a result of the comparison, not the end of it.
    process.stderr.write(`${variant.name}: ${error.message}\n`);
    rows.push({
      run: variant.name,
      elbo: null,
      gini_mean: null,
      gini_sd: null,
      gap: null,
      wall_seconds: (performance.now() - started) / 1000,
      epochs: 'diverged',
    });
    continue;
  }
  const wall = (performance.now() - started) / 1000;
  const last = metrics[metrics.length - 1]!;
  let gap: number | null = null;
  if (variant.flags.amortized !== false) {
    const [result] = await runGaps({ runs: [dir], data, samples: Math.min(samples, gapPoints) });
    gap = result!.report.gap;
  }
  rows.push({
    run: variant.name,
    elbo: last.elbo,
    gini_mean: last.gini_mean,
    gini_sd: last.gini_sd,
    gap,
    wall_seconds: wall,
    epochs: metrics.length,
  });
  curves.push({ name: variant.name, rows: metrics });
}

const f = (x: unknown, digits: number) => (typeof x === 'number' ? x.toFixed(digits) : '—');
const table = [
  `Shipped natural images, ${samples} whitened 16×16 patches, H = 100; amortization gap on the first ${Math.min(samples, gapPoints)} training patches.`,
  '',
  '| run | epochs | final ELBO | Gini ± SD | gap | wall time (s) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r['run']} | ${r['epochs']} | ${f(r['elbo'], 2)} | ${f(r['gini_mean'], 3)} ± ${f(r['gini_sd'], 3)} | ${f(r['gap'], 3)} | ${f(r['wall_seconds'], 0)} |`,
  ),
  '',
].join('\n');
await writeFileAtomic(join(out, 'paper.md'), table);
await writeFileAtomic(
  join(out, 'paper.json'),
  JSON.stringify({ samples, epochs, emEpochs, gapPoints, rows }, null, 2) + '\n',
);
await writeFileAtomic(
  join(out, 'paper.png'),
  await chartPng(runComparisonSpec(curves, "ELBO on the shipped images (the paper's Fig. 3)")),
);
process.stdout.write(table);
process.stderr.write(`wrote ${join(out, 'paper.md')}, paper.json, paper.png\n`);
