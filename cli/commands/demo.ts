/** `entropy-sc demo` (what `npm start` runs): the main job end to end on built-in data. */
import { Command } from 'commander';
import { positiveInt } from '../parse.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('check the objective on bars, then train on the shipped natural images into runs/demo')
    .option('--out <dir>', 'run directory (replaced)', 'runs/demo')
    .option('--epochs <E>', 'epochs', positiveInt, 8)
    .option('--samples <N>', 'patches', positiveInt, 10_000)
    .option('--latents <H>', 'latents', positiveInt, 100)
    .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
    .action(async (flags: { out: string; epochs: number; samples: number; latents: number; backend: string }) => {
      const { demo } = await import('@entropy-sc/training/demo');
      await demo(flags);
    });
}
