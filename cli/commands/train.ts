/** `entropy-sc train`: learn a dictionary and posteriors (amortized or not) with the entropy ELBO. */
import { Command, Option } from 'commander';
import { checkOutputDir } from '@entropy-sc/core/fs/output-dir';
import { resolveRunConfig, trainDefaults, type TrainFlags } from '@entropy-sc/core/schema/run-config';
import { dataOptions } from '../data-flags.ts';
import { nonNegativeInt, positiveInt, positiveNumber, seed } from '../parse.ts';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('learn a dictionary and posteriors with the entropy ELBO')
    .requiredOption('--data <spec>', 'bars, images:DIR (PNG/JPEG folder or IMAGES.mat) or a .npy file of rows [N, D]')
    .requiredOption('--latents <H>', 'number of latents H', positiveInt)
    .requiredOption('--out <dir>', 'run directory for metrics, dictionary, model card, pictures and checkpoint')
    .addOption(
      new Option('--posterior <family>', `posterior family (default ${trainDefaults.posterior})`).choices([
        'diag',
        'lowrank',
        'full',
      ]),
    )
    .option('--rank <r>', `rank of the low-rank family (default min(${trainDefaults.rank}, H))`, positiveInt)
    .option('--amortized', 'train an encoder (default, except for --posterior full)')
    .option(
      '--no-amortized',
      'fit per-point posteriors by L-BFGS instead of an encoder: jointly with W on small data (N × parameters per point ≤ 10⁶, e.g. bars), EM-like per minibatch otherwise',
    )
    .option(
      '--epochs <E>',
      `epochs (default ${trainDefaults.epochs.amortized} amortized, ${trainDefaults.epochs.nonAmortized} non-amortized)`,
      positiveInt,
    )
    .option('--batch <B>', `minibatch size (default ${trainDefaults.batch})`, positiveInt)
    .option('--lr <rate>', `Adam learning rate (default ${trainDefaults.lr})`, positiveNumber)
    .option(
      '--dictionary-lr <rate>',
      `Adam learning rate of the dictionary's unit-length columns (default: ${trainDefaults.dictionaryLrFactor} × --lr)`,
      positiveNumber,
    )
    .option(
      '--anneal <schedule>',
      `none, prior, likelihood, or per-epoch γ:δ pairs such as 8:1,4:1,1:1 (default ${trainDefaults.anneal})`,
    )
    .option(
      '--backend <name>',
      `TensorFlow.js backend: wasm, cpu, webgpu or tensorflow (default ${trainDefaults.backend})`,
    )
    .option(
      '--workers <N>',
      "CPU threads of the encoder's matrix products, under onnxruntime (amortized, wasm/cpu; default: every core)",
      positiveInt,
    )
    .option('--seed <S>', `random seed for data, initialisation and minibatches (default ${trainDefaults.seed})`, seed)
    .option('--resume', 'continue the run in --out from its checkpoint', false)
    .addOption(dataOptions.barsSize())
    .addOption(dataOptions.samples())
    .addOption(dataOptions.noise())
    .addOption(dataOptions.patch())
    .addOption(dataOptions.noWhiten())
    .option('--hidden <width>', 'encoder: residual stream width (default 2D)', positiveInt)
    .option('--inner <width>', 'encoder: residual block width (default 3D)', positiveInt)
    .option('--blocks <k>', `encoder: residual blocks (default ${trainDefaults.blocks})`, nonNegativeInt)
    .action(async (flags: TrainFlags & { out: string; resume: boolean }) => {
      const config = resolveRunConfig(flags);
      await checkOutputDir(flags.out); // before TensorFlow.js loads: a bad --out fails at once
      const { train } = await import('@entropy-sc/training/commands/train');
      await train({ config, out: flags.out, resume: flags.resume });
    });
}
