/**
 * Per-point amortization gaps of several runs side by side (`entropy-sc gap --compare`): one box
 * per run (quartiles, whiskers at the 5th and 95th percentiles) over a strip of the points, on the same
 * axis.
 */
import { finiteOrNull, type TopLevelSpec } from './render.ts';

export interface GapSample {
  /** the run's label */
  name: string;
  /** per-point gaps ℓ_n(refined) − ℓ_n(encoder) [N] */
  gaps: ArrayLike<number>;
  /** their quantiles and mean (all points) */
  stats: { p05: number; q1: number; median: number; q3: number; p95: number; mean: number };
}

/** Points drawn per run in the strip (the boxes use all points). */
const STRIP_POINTS = 400;

/** @param runs one entry per run, left to right */
export function gapDistributionSpec(runs: readonly GapSample[]): TopLevelSpec {
  const order = runs.map((r) => r.name);
  const boxes = runs.map((r) => ({ run: r.name, ...r.stats }));
  const strip = runs.flatMap((r) => {
    const step = Math.max(1, Math.floor(r.gaps.length / STRIP_POINTS));
    const points = [];
    for (let i = 0; i < r.gaps.length; i += step) points.push({ run: r.name, gap: finiteOrNull(r.gaps[i]!) });
    return points;
  });
  const x = { field: 'run', type: 'nominal', title: null, sort: order, axis: { labelAngle: 0 } } as const;
  const y = { type: 'quantitative', title: 'per-point gap (nats)' } as const;
  return {
    title: 'amortization gap per point',
    width: Math.max(240, 140 * runs.length),
    height: 320,
    layer: [
      {
        data: { values: strip },
        mark: { type: 'tick', size: 60, opacity: 0.2, color: '#666' },
        encoding: { x, y: { ...y, field: 'gap' } },
      },
      {
        data: { values: boxes },
        mark: { type: 'rule' },
        encoding: { x, y: { ...y, field: 'p05' }, y2: { field: 'p95' } },
      },
      {
        data: { values: boxes },
        mark: { type: 'bar', size: 36, opacity: 0.7 },
        encoding: {
          x,
          y: { ...y, field: 'q1' },
          y2: { field: 'q3' },
          color: { field: 'run', type: 'nominal', sort: order, legend: null },
        },
      },
      {
        data: { values: boxes },
        mark: { type: 'tick', size: 36, thickness: 2, color: 'black' },
        encoding: { x, y: { ...y, field: 'median' } },
      },
      {
        data: { values: boxes },
        mark: { type: 'point', shape: 'diamond', filled: true, color: 'black' },
        encoding: { x, y: { ...y, field: 'mean' } },
      },
    ],
  };
}
