/** The commands of `entropy-sc`, in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerDemo } from './demo.ts';
import { registerDoctor } from './doctor.ts';
import { registerElbo } from './elbo.ts';
import { registerEncode } from './encode.ts';
import { registerEvaluate } from './evaluate.ts';
import { registerGap } from './gap.ts';
import { registerExport } from './export.ts';
import { registerPatches } from './patches.ts';
import { registerServe } from './serve.ts';
import { registerTrain } from './train.ts';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerTrain,
  registerElbo,
  registerEvaluate,
  registerGap,
  registerPatches,
  registerExport,
  registerEncode,
  registerDemo,
  registerServe,
  registerDoctor,
];
