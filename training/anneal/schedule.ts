/**
 * Annealing schedules for L_{γ,δ} (Eq. 17; Appendix D.4): per epoch i (from 0) the weights γ of the
 * prior entropy and δ of the likelihood entropy.
 */
import { UserError } from '@entropy-sc/core/errors';

export interface AnnealWeights {
  gamma: number;
  delta: number;
}

export type Schedule = (epoch: number) => AnnealWeights;

/** The paper's presets. */
export const PRESETS: Readonly<Record<'none' | 'prior' | 'likelihood', Schedule>> = Object.freeze({
  none: () => ({ gamma: 1, delta: 1 }),
  /** prior annealing: γ_i = max(1, 2(5 − i)), δ = 1 */
  prior: (i: number) => ({ gamma: Math.max(1, 2 * (5 - i)), delta: 1 }),
  /** likelihood (β) annealing: δ_i = min(1, 1/(7 − i)), and 1 from i ≥ 6 */
  likelihood: (i: number) => ({ gamma: 1, delta: i >= 6 ? 1 : Math.min(1, 1 / (7 - i)) }),
});

/**
 * Parses `--anneal`: a preset name, or a per-epoch list "γ:δ,γ:δ,…" (a bare number is γ with δ = 1);
 * the last entry holds for all later epochs.
 */
export function parseSchedule(spec: string): Schedule {
  // Object.hasOwn, not `in`: 'constructor' or '__proto__' are not presets.
  if (Object.hasOwn(PRESETS, spec)) return PRESETS[spec as keyof typeof PRESETS];
  const entries = spec.split(',').map((entry) => {
    const parts = entry.trim().split(':');
    const [gamma, delta = 1] = parts.map(Number);
    if (
      parts.length > 2 ||
      gamma === undefined ||
      !Number.isFinite(gamma) ||
      !Number.isFinite(delta) ||
      gamma <= 0 ||
      delta <= 0
    )
      throw new UserError(
        `--anneal: cannot read '${entry.trim()}' in '${spec}'; give none, prior, likelihood or a list of positive γ:δ pairs such as 4:1,2:1,1:1`,
      );
    return { gamma, delta };
  });
  return (i: number) => entries[Math.min(i, entries.length - 1)]!;
}
