/**
 * A diverged epoch must never become the run's checkpoint: before an epoch's files and checkpoint
 * replace the previous ones, its whole-data report and every learned array must be finite. The one
 * line that stops the run says what diverged, what was kept, and a setting that can work (resuming
 * would repeat the same steps from the same state and diverge again).
 */
import { UserError } from '@entropy-sc/core/errors';
import type { RunConfig } from '@entropy-sc/core/schema/run-config';

/** The first non-finite number among the metrics' numbers and the arrays, as "name = value", or null. */
export function firstNonFinite(
  metrics: Record<string, unknown>,
  arrays: Record<string, ArrayLike<number>>,
): string | null {
  for (const [name, value] of Object.entries(metrics))
    if (typeof value === 'number' && !Number.isFinite(value)) return `${name} = ${value}`;
  for (const [name, values] of Object.entries(arrays))
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return `${name}[${i}] = ${values[i]}`;
  return null;
}

/**
 * The error that stops a diverged run.
 * @param epoch the epoch that diverged, from 0
 * @param what what is not finite, e.g. "the objective = NaN"
 */
export function divergence(epoch: number, what: string, config: RunConfig, checkpoint: string): UserError {
  const kept =
    epoch > 0
      ? `the files and checkpoint of epoch ${epoch} are kept (${checkpoint}), but resuming would diverge again`
      : 'nothing was written';
  const rates = `--lr ${config.lr}, --dictionary-lr ${config.dictionary_lr}`;
  return new UserError(
    `epoch ${epoch + 1} diverged (${what}); ${kept}. Start a new run in another --out with a smaller --lr (this run: ${rates}; try --lr ${Number((config.lr / 10).toPrecision(3))})`,
  );
}
