/**
 * The `entropy-sc` command line (contract: docs in cli.md). Each command lives in its own module
 * under ./commands and loads its heavy dependencies (TensorFlow.js, onnxruntime) only when run.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '@entropy-sc/core/errors';
import { commands } from './commands/index.ts';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('entropy-sc')
    .description('Probabilistic sparse coding with the analytic entropy ELBO (Velychko et al., AISTATS 2024)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n+$/, '') + '\n') })
    .showHelpAfterError(false);
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UserError) {
      process.stderr.write(`entropy-sc: ${error.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 1;
    }
    throw error;
  }
}

