/**
 * The `entropy-sc` command line (contract: docs in cli.md). Each command lives in its own module
 * under ./commands and loads its heavy dependencies (TensorFlow.js, onnxruntime) only when run.
 * Whatever goes wrong ends as one line on stderr: the message of a UserError, or for anything
 * unexpected its first line and the file that holds the full report.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';
import { UserError } from '@entropy-sc/core/errors';
import { lockedRunDirs } from '@entropy-sc/core/fs/run-lock';
import { VERSION } from '@entropy-sc/core/version';
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
    return reportError(error, argv);
  }
}

/**
 * Prints `error` as one line and returns the exit status: 2 for a usage error (commander has printed
 * it), 1 otherwise. An unexpected error's full report goes to a file in the run folder this process
 * holds locked, or else in the temp folder.
 */
export function reportError(error: unknown, argv: string[]): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UserError) {
    process.stderr.write(`entropy-sc: ${oneLine(error.message)}\n`);
    return 1;
  }
  const where = writeReport(error, argv);
  const what = error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : oneLine(String(error));
  process.stderr.write(
    `entropy-sc: unexpected error (${what.length > 300 ? `${what.slice(0, 300)}…` : what}); ${where}\n`,
  );
  return 1;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function writeReport(error: unknown, argv: string[]): string {
  const text = [
    `entropy-sc ${VERSION} (node ${process.version}, ${process.platform}-${process.arch}), ${new Date().toISOString()}`,
    `command: entropy-sc ${argv.join(' ')}`,
    `memory: ${JSON.stringify(process.memoryUsage())}`,
    '',
    inspect(error, { depth: 6 }),
    '',
  ].join('\n');
  const name = `entropy-sc-error-${process.pid}.txt`;
  for (const dir of [...lockedRunDirs(), tmpdir()]) {
    const path = join(dir, name);
    try {
      writeFileSync(path, text); // named by pid: no other process writes it
      return `the full report is in ${path}`;
    } catch {
      // try the next folder
    }
  }
  return 'no report could be written';
}
