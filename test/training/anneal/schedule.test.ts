/** Annealing schedules: the paper's presets (Appendix D.4) and user lists. */
import { describe, expect, it } from 'vitest';
import { parseSchedule, PRESETS } from '../../../training/anneal/schedule.ts';

describe('annealing schedules', () => {
  it('prior annealing: γ = max(1, 2(5 − i)), δ = 1', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((i) => PRESETS.prior(i).gamma)).toEqual([10, 8, 6, 4, 2, 1, 1]);
    expect(PRESETS.prior(0).delta).toBe(1);
  });

  it('likelihood annealing: δ = min(1, 1/(7 − i)), 1 from epoch 6, γ = 1', () => {
    const deltas = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((i) => PRESETS.likelihood(i).delta);
    expect(deltas).toEqual([1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 1, 1]);
    expect(PRESETS.likelihood(3).gamma).toBe(1);
  });

  it('none is the ELBO', () => {
    expect(parseSchedule('none')(0)).toEqual({ gamma: 1, delta: 1 });
  });

  it('reads per-epoch γ:δ lists, a bare number meaning δ = 1, the last entry holding', () => {
    const s = parseSchedule('4:0.5, 2, 1:1');
    expect([0, 1, 2, 7].map(s)).toEqual([
      { gamma: 4, delta: 0.5 },
      { gamma: 2, delta: 1 },
      { gamma: 1, delta: 1 },
      { gamma: 1, delta: 1 },
    ]);
  });

  it.each(['fast', '4:x', '0:1', '1:-1', '1:2:3', ''])('refuses %j with a message naming it', (spec) => {
    expect(() => parseSchedule(spec)).toThrow(/--anneal/);
  });
});
