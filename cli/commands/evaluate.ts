/** `entropy-sc evaluate`: the entropy ELBO of a given dictionary, with posteriors fitted for it (cli.md). */
import { Command, Option } from 'commander';
import { checkOutputDir } from '@entropy-sc/core/fs/output-dir';
import { parseDataSpec, type DataFlags } from '@entropy-sc/core/schema/data-spec';
import { dataOptions } from '../data-flags.ts';
import { positiveInt, seed } from '../parse.ts';

interface EvaluateFlags extends DataFlags {
  weights: string;
  data: string;
  posterior: 'diag' | 'full';
  out?: string;
  iterations?: number;
  backend: string;
  seed: number;
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      'score a dictionary: fit non-amortized posteriors for it by L-BFGS (λ, σ² at their optimum) and print {"elbo", "entropy_q", "entropy_prior", "entropy_likelihood", "sigma2", "gini_mean", "gini_sd"}',
    )
    .requiredOption('--weights <W.npy>', 'dictionary [D, H] (columns are normalised internally)')
    .requiredOption('--data <spec>', 'data: a .npy file of rows [N, D], bars, or images:DIR (as for train)')
    .addOption(
      new Option('--posterior <family>', 'posterior family fitted for every point')
        .choices(['diag', 'full'])
        .default('diag'),
    )
    .option('--out <dir>', 'write the fitted posteriors (mean.npy, and std.npy or chol.npy) and report.json there')
    .option(
      '--iterations <k>',
      'L-BFGS iteration limit per fit (default 1000 when all points fit in one problem, else 200 per chunk)',
      positiveInt,
    )
    .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
    .option('--seed <S>', 'seed of the generated data (bars, patches) and of the Gini samples', seed, 1)
    .addOption(dataOptions.barsSize())
    .addOption(dataOptions.samples())
    .addOption(dataOptions.noise())
    .addOption(dataOptions.patch())
    .addOption(dataOptions.noWhiten())
    .action(async (flags: EvaluateFlags) => {
      const data = parseDataSpec(flags.data, flags);
      if (flags.out !== undefined) await checkOutputDir(flags.out);
      const { useBackend } = await import('@entropy-sc/training/backend/backend');
      const { evaluateDictionaryFiles } = await import('@entropy-sc/training/per-point/evaluate-dictionary');
      await useBackend(flags.backend);
      const report = await evaluateDictionaryFiles({
        weights: flags.weights,
        data,
        family: flags.posterior,
        seed: flags.seed,
        out: flags.out,
        maxIterations: flags.iterations,
      });
      process.stdout.write(JSON.stringify(report) + '\n');
    });
}
