/**
 * What the epoch loop keeps in a checkpoint besides the learner's arrays, validated on read: a
 * checkpoint is trusted only after it parses as this version's state.
 */
import { z } from 'zod';
import { UserError } from '@entropy-sc/core/errors';
import { runConfig } from '@entropy-sc/core/schema/run-config';
import type { MetricsRow } from './run-files.ts';
import { issuesText } from '@entropy-sc/core/schema/issues-text';

export const loopState = z.object({
  /** epochs finished */
  epoch: z.number().int().nonnegative(),
  /** the run generator's state (src/random.ts) */
  rng: z.object({ s: z.tuple([z.number(), z.number(), z.number(), z.number()]), spare: z.number().nullable() }),
  metrics: z.array(z.looseObject({ epoch: z.number(), elbo: z.number() })),
  config: runConfig,
  learner: z.record(z.string(), z.unknown()),
});

export type LoopState = z.infer<typeof loopState> & { metrics: MetricsRow[] };

/** Validates a checkpoint's state. @param path the checkpoint, for the one-line error */
export function parseLoopState(value: unknown, path: string): LoopState {
  const parsed = loopState.safeParse(value);
  if (parsed.success) return parsed.data as LoopState;
  const configOnly = runConfig.safeParse((value as { config?: unknown } | null)?.config);
  if (!configOnly.success)
    throw new UserError(
      `--resume: ${path} was written by an incompatible version of entropy-sc (its run settings do not match this version's); start a new run in another --out`,
    );
  throw new UserError(`--resume: ${path} is damaged (${issuesText(parsed.error)})`);
}
