/**
 * The training figure of a run directory (`curves.png`, cli.md "train"): the ELBO per epoch above
 * the three entropies per epoch.
 */
import { finiteOrNull, type TopLevelSpec } from './render.ts';

/** The per-epoch numbers the figure shows (extra fields are ignored). */
export interface TrainingCurveRow {
  epoch: number;
  elbo: number;
  entropy_q: number;
  entropy_prior: number;
  entropy_likelihood: number;
}

const ENTROPIES = ['entropy_q', 'entropy_prior', 'entropy_likelihood'] as const;
const ENTROPY_LABELS: Record<(typeof ENTROPIES)[number], string> = {
  entropy_q: 'H[q] (mean)',
  entropy_prior: 'H[p(z)]',
  entropy_likelihood: 'H[p(x|z)]',
};

/** @param rows one per epoch [epochs], e.g. the lines of metrics.jsonl (epochs from 0, shown from 1) */
export function trainingCurvesSpec(rows: readonly TrainingCurveRow[]): TopLevelSpec {
  const epoch = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } } as const;
  const elbo = rows.map((row) => ({ epoch: row.epoch + 1, elbo: finiteOrNull(row.elbo) }));
  const entropies = rows.flatMap((row) =>
    ENTROPIES.map((key) => ({ epoch: row.epoch + 1, entropy: ENTROPY_LABELS[key], value: finiteOrNull(row[key]) })),
  );
  return {
    vconcat: [
      {
        title: 'ELBO per epoch (nats per point)',
        width: 640,
        height: 220,
        data: { values: elbo },
        mark: { type: 'line', point: true },
        encoding: { x: epoch, y: { field: 'elbo', type: 'quantitative', title: 'ELBO', scale: { zero: false } } },
      },
      {
        title: 'entropies per epoch',
        width: 640,
        height: 220,
        data: { values: entropies },
        mark: { type: 'line', point: true },
        encoding: {
          x: epoch,
          y: { field: 'value', type: 'quantitative', title: 'nats', scale: { zero: false } },
          color: {
            field: 'entropy',
            type: 'nominal',
            title: null,
            sort: Object.values(ENTROPY_LABELS),
            legend: { orient: 'bottom' },
          },
          shape: {
            field: 'entropy',
            type: 'nominal',
            title: null,
            sort: Object.values(ENTROPY_LABELS),
            legend: { orient: 'bottom' },
          },
        },
      },
    ],
  };
}
