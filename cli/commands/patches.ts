/** `entropy-sc patches`: the natural-image data set of `train` as an .npy array (cli.md). */
import { Command } from 'commander';
import { ensure } from '@entropy-sc/core/errors';
import { checkOutputFile } from '@entropy-sc/core/fs/output-dir';
import { checkRunMemory, estimateDataMemory } from '@entropy-sc/core/resources/memory-estimate';
import { dataDefaults, parseDataSpec } from '@entropy-sc/core/schema/data-spec';
import { positiveInt, seed } from '../parse.ts';

interface PatchesFlags {
  data: string;
  patch?: number;
  samples?: number;
  out: string;
  seed: number;
  whiten: boolean;
  float64: boolean;
}

export function registerPatches(program: Command): void {
  program
    .command('patches')
    .description('write the natural-image patches that train uses with the same flags and seed')
    .requiredOption(
      '--data <spec>',
      'images:DIR (PNG/JPEG folder) or images:IMAGES.mat; a bare images: is the shipped set',
    )
    .option('--patch <P>', `patch size (D = P², default ${dataDefaults.images.patch})`, positiveInt)
    .option('--samples <N>', `number of patches (default ${dataDefaults.images.samples})`, positiveInt)
    .requiredOption('--out <X.npy>', 'output array [N, P²]')
    .option('--seed <S>', 'random seed', seed, 1)
    .option('--no-whiten', 'skip the Olshausen-Field whitening')
    .option('--float64', 'write float64 instead of float32', false)
    .action(async (flags: PatchesFlags) => {
      ensure(flags.data.startsWith('images:'), `--data must be images:DIR or images:FILE.mat, got '${flags.data}'`);
      await checkOutputFile(flags.out, '--out');
      const { loadDataSet } = await import('@entropy-sc/core/data/data-set');
      const { writeNpy } = await import('@entropy-sc/core/npy/write');
      const spec = parseDataSpec(flags.data, { patch: flags.patch, samples: flags.samples, whiten: flags.whiten });
      if (spec.kind === 'images') checkRunMemory(estimateDataMemory(spec.samples, spec.patch * spec.patch), 'cpu');
      const set = await loadDataSet(spec, flags.seed);
      await writeNpy(
        flags.out,
        { data: set.x, shape: [set.n, set.d] },
        { dtype: flags.float64 ? 'float64' : 'float32' },
      );
      process.stderr.write(`wrote ${flags.out}: ${set.n} patches of ${set.tile.width}×${set.tile.height}\n`);
    });
}
