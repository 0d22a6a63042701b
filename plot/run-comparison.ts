/**
 * The learning curves of several runs in one figure (the paper's Fig. 3): the whole-data ELBO per
 * epoch, and against cumulative training time.
 */
import { finiteOrNull, type TopLevelSpec } from './render.ts';

export interface RunCurve {
  /** the run's label */
  name: string;
  /** one per epoch: epoch from 0, ELBO, training seconds of that epoch */
  rows: ReadonlyArray<{ epoch: number; elbo: number; seconds: number }>;
}

/** @param runs the runs, in legend order */
export function runComparisonSpec(runs: readonly RunCurve[], title = 'ELBO of each run'): TopLevelSpec {
  const values = runs.flatMap((run) => {
    let time = 0;
    return run.rows.map((row) => {
      time += row.seconds;
      return { run: run.name, epoch: row.epoch + 1, time, elbo: finiteOrNull(row.elbo) };
    });
  });
  const color = {
    field: 'run',
    type: 'nominal',
    title: null,
    sort: runs.map((r) => r.name),
    legend: { labelLimit: 320 },
  } as const;
  const y = { field: 'elbo', type: 'quantitative', title: 'ELBO (nats per point)', scale: { zero: false } } as const;
  const panel = (field: 'epoch' | 'time', axisTitle: string) =>
    ({
      width: 380,
      height: 280,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field,
          type: 'quantitative',
          title: axisTitle,
          ...(field === 'epoch' ? { axis: { tickMinStep: 1 } } : {}),
        },
        y,
        color,
        shape: color,
      },
    }) as const;
  return {
    title,
    data: { values },
    hconcat: [panel('epoch', 'epoch'), panel('time', 'training time (s)')],
  };
}
