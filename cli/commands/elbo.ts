/** `entropy-sc elbo`: the entropy ELBO of given posteriors over a whole data file (cli.md). */
import { Command } from 'commander';
import { UserError } from '@entropy-sc/core/errors';
import { finiteNumber } from '../parse.ts';

interface ElboFlags {
  data: string;
  weights: string;
  mean: string;
  std?: string;
  factor?: string;
  diagStd?: string;
  chol?: string;
  gamma: number;
  delta: number;
  backend: string;
}

export function registerElbo(program: Command): void {
  program
    .command('elbo')
    .description(
      'entropy ELBO of given posteriors: prints {"elbo", "entropy_q", "entropy_prior", "entropy_likelihood", "lambda", "sigma2", "n", "d", "h"}',
    )
    .requiredOption('--data <X.npy>', 'data [N, D]')
    .requiredOption('--weights <W.npy>', 'dictionary [D, H] (columns are normalised internally)')
    .requiredOption('--mean <MU.npy>', 'posterior means [N, H]')
    .option('--std <S.npy>', 'diagonal family: standard deviations [N, H]')
    .option('--factor <V.npy>', 'low-rank family: factors V [N, H, r] (T = VVᵀ + diag(d²))')
    .option('--diag-std <S.npy>', 'low-rank family: the d of T = VVᵀ + diag(d²), [N, H]')
    .option('--chol <L.npy>', 'full family: Cholesky factors [N, H, H] (upper triangle ignored)')
    .option('--gamma <γ>', 'weight of the prior entropy', finiteNumber, 1)
    .option('--delta <δ>', 'weight of the likelihood entropy', finiteNumber, 1)
    .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
    .action(async (flags: ElboFlags) => {
      const { useBackend } = await import('@entropy-sc/training/backend/backend');
      const { elboFromFiles } = await import('@entropy-sc/training/evaluate/elbo-files');
      await useBackend(flags.backend);
      const report = await elboFromFiles(
        { data: flags.data, weights: flags.weights, posterior: posteriorFiles(flags) },
        flags.gamma,
        flags.delta,
      );
      process.stdout.write(JSON.stringify(report) + '\n');
    });
}

function posteriorFiles(flags: ElboFlags) {
  const given = [
    flags.std && '--std',
    flags.factor && '--factor',
    flags.diagStd && '--diag-std',
    flags.chol && '--chol',
  ].filter(Boolean);
  if (flags.std && given.length === 1) return { family: 'diag' as const, mean: flags.mean, std: flags.std };
  if (flags.factor && flags.diagStd && given.length === 2)
    return { family: 'lowrank' as const, mean: flags.mean, factor: flags.factor, diagStd: flags.diagStd };
  if (flags.chol && given.length === 1) return { family: 'full' as const, mean: flags.mean, chol: flags.chol };
  throw new UserError(
    `give exactly one covariance: --std S.npy, or --factor V.npy with --diag-std S.npy, or --chol L.npy (got ${given.length ? given.join(' ') : 'none'})`,
  );
}
