/** `entropy-sc train`: learn a dictionary and posteriors (amortized or not) with the entropy ELBO. */
import { Command, Option } from 'commander';
import { ensure } from '../../errors.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from '../parse.ts';

export interface TrainFlags {
  data: string;
  latents: number;
  out: string;
  posterior: 'diag' | 'lowrank' | 'full';
  rank: number;
  amortized?: boolean;
  epochs?: number;
  batch: number;
  lr: number;
  dictionaryLr?: number;
  anneal?: string;
  backend: string;
  workers?: number;
  seed: number;
  resume: boolean;
  barsSize: number;
  samples?: number;
  noise: number;
  patch: number;
  whiten: boolean;
  hidden?: number;
  inner?: number;
  blocks: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('learn a dictionary and posteriors with the entropy ELBO')
    .requiredOption('--data <spec>', 'bars, images:DIR (PNG/JPEG folder or IMAGES.mat) or a .npy file of rows [N, D]')
    .requiredOption('--latents <H>', 'number of latents H', positiveInt)
    .requiredOption('--out <dir>', 'run directory for metrics, dictionary, model card, pictures and checkpoint')
    .addOption(new Option('--posterior <family>', 'posterior family').choices(['diag', 'lowrank', 'full']).default('diag'))
    .option('--rank <r>', 'rank of the low-rank family', positiveInt, 5)
    .option('--amortized', 'train an encoder (default, except for --posterior full)')
    .option('--no-amortized', 'fit per-point posteriors by L-BFGS instead of an encoder: jointly with W on small data (N × parameters per point ≤ 10⁶, e.g. bars), EM-like per minibatch otherwise')
    .option('--epochs <E>', 'epochs (default 20 amortized, 50 non-amortized)', positiveInt)
    .option('--batch <B>', 'minibatch size', positiveInt, 512)
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, 1e-3)
    .option('--dictionary-lr <rate>', "Adam learning rate of the dictionary's unit-length columns (default: 10 × --lr)", positiveNumber)
    .option('--anneal <schedule>', 'none, prior, likelihood, or per-epoch γ:δ pairs such as 8:1,4:1,1:1 (default none)')
    .option('--backend <name>', 'TensorFlow.js backend: wasm, cpu, webgpu or tensorflow', 'wasm')
    .option('--workers <N>', 'threads sharing each minibatch, exact full-batch gradient (amortized, wasm/cpu; default: 2 where 2 cores exist)', positiveInt)
    .option('--seed <S>', 'random seed for data, initialisation and minibatches', nonNegativeInt, 1)
    .option('--resume', 'continue the run in --out from its checkpoint', false)
    .option('--bars-size <b>', 'bars: grid size (D = b²)', positiveInt, 5)
    .option('--samples <N>', 'bars: points to generate (1000); images: patches to cut (50000)', positiveInt)
    .option('--noise <std>', 'bars: noise standard deviation', positiveNumber, 0.1)
    .option('--patch <P>', 'images: patch size (D = P²)', positiveInt, 16)
    .option('--no-whiten', 'images: skip the Olshausen-Field whitening')
    .option('--hidden <width>', 'encoder: residual stream width (default 2D)', positiveInt)
    .option('--inner <width>', 'encoder: residual block width (default 3D)', positiveInt)
    .option('--blocks <k>', 'encoder: residual blocks', nonNegativeInt, 2)
    .action(async (flags: TrainFlags) => {
      ensure(flags.rank <= flags.latents, `--rank ${flags.rank} exceeds --latents ${flags.latents}`);
      const amortized = flags.amortized ?? flags.posterior !== 'full';
      ensure(!(amortized && flags.posterior === 'full'), '--posterior full is non-amortized only: add --no-amortized');
      const { train } = await import('@entropy-sc/training/train');
      await train({ ...flags, amortized });
    });
}
