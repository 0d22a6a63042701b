/** `entropy-sc gap`: the amortization gap of a run's encoder, or of several runs side by side (cli.md). */
import { Command } from 'commander';
import { UserError } from '@entropy-sc/core/errors';
import { parseDataSpec, type DataFlags } from '@entropy-sc/core/schema/data-spec';
import { dataOptions } from '../data-flags.ts';
import { positiveInt, seed } from '../parse.ts';

interface GapFlags extends DataFlags {
  run?: string;
  model?: string;
  compare?: string[];
  data: string;
  json: boolean;
  full: boolean;
  out?: string;
  workers?: number;
  iterations?: number;
  backend: string;
  seed?: number;
}

/** Points the gap evaluates on generated data unless --samples says otherwise. */
const DEFAULT_POINTS = 2000;

export function registerGap(program: Command): void {
  program
    .command('gap')
    .description(
      'amortization gap: with Θ = (λ, W̃, σ²) frozen at a run\'s values, every point\'s ELBO for the encoder\'s posterior and for that posterior refined by L-BFGS; prints {"amortized_elbo", "refined_elbo", "gap", "per_point": {"mean", "median", "p95"}, "family"}',
    )
    .option('--run <DIR>', 'a training run directory (amortized)')
    .option(
      '--model <M.onnx>',
      'a deployed model in place of --run: encoder outputs from onnxruntime, Θ from its initializers',
    )
    .option('--compare <DIR...>', 'several run directories (or .onnx models), compared on the same data and points')
    .requiredOption('--data <spec>', 'data: a .npy file of rows [N, D], bars, or images:DIR (as for train)')
    .option(
      '--samples <N>',
      `points: to generate (bars, images; default ${DEFAULT_POINTS}) or the first rows of a .npy file (default all)`,
      positiveInt,
    )
    .option('--seed <S>', "seed of generated data (default: the (first) run's seed, i.e. its training data)", seed)
    .option('--full', 'also refine in the full-covariance family (what the family itself costs)', false)
    .option('--json', 'print one JSON object (an array of them with --compare)', false)
    .option('--out <dir>', 'write report.json, gaps.md (table) and gaps.png (per-point gap distributions) there')
    .option('--workers <N>', 'refinement threads (default: all cores)', positiveInt)
    .option('--iterations <k>', 'L-BFGS iteration limit per refinement batch of 128 points (default 1000)', positiveInt)
    .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
    .addOption(dataOptions.barsSize())
    .addOption(dataOptions.noise())
    .addOption(dataOptions.patch())
    .addOption(dataOptions.noWhiten())
    .action(async (flags: GapFlags) => {
      const given = [flags.run, flags.model, flags.compare].filter((v) => v !== undefined);
      if (given.length !== 1)
        throw new UserError('gap: give one of --run DIR, --model M.onnx or --compare DIR1 DIR2 ...');
      if (flags.model !== undefined && !flags.model.endsWith('.onnx'))
        throw new UserError(`--model ${flags.model}: expected an .onnx file`);
      const single = flags.run ?? flags.model;
      const { samples, ...dataFlags } = flags;
      const data = parseDataSpec(flags.data, dataFlags);
      const { useBackend } = await import('@entropy-sc/training/backend/backend');
      const { gapJson, gapTable, runGaps } = await import('@entropy-sc/training/gap/gap-files');
      await useBackend(flags.backend);
      const runs = await runGaps({
        runs: single !== undefined ? [single] : flags.compare!,
        data,
        samples: samples ?? (data.kind === 'npy' ? undefined : DEFAULT_POINTS),
        seed: flags.seed,
        full: flags.full,
        workers: flags.workers,
        out: flags.out,
        maxIterations: flags.iterations,
      });
      if (flags.json) {
        const objects = runs.map((r) => gapJson(r.report));
        process.stdout.write(
          JSON.stringify(single !== undefined ? objects[0] : runs.map((r, i) => ({ run: r.name, ...objects[i] }))) +
            '\n',
        );
      } else process.stdout.write(gapTable(runs));
    });
}
