/**
 * EM-like non-amortized learning for data sets too large for one joint L-BFGS problem (Section 4.2,
 * variants A and B): for every minibatch, an E-step by L-BFGS on that minibatch's posteriors with W̃
 * fixed, maximising the minibatch's L_{γ,δ} (Eq. 17), then one Adam step on W for the same objective
 * with the posteriors fixed. Each point keeps its posterior parameters across epochs, so later
 * E-steps start from the last fit.
 *
 * A point's stored posterior was fitted when its minibatch was last visited, under an older W, so
 * the per-epoch report (`evaluate`) refits every point for the epoch's W first, warm-started from
 * the stored fit, maximising L_{1,1} over chunks as large as one L-BFGS problem allows (JOINT_LIMIT
 * values, as `entropy-sc evaluate` does), so λ and σ² are close to their whole-data optimum: the
 * report is the ELBO of the learned W. The refitted posteriors serve the report only; training
 * goes on from its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@entropy-sc/core/random';
import { annealedObjective, batchEntropies } from '../objective/entropy-elbo.ts';
import { normalizeColumns, pointStatistics } from '../objective/point-statistics.ts';
import type { Posterior, PosteriorFamily } from '../objective/posterior.ts';
import { randomDictionary } from '../init/random-dictionary.ts';
import { Adam } from '../optim/adam.ts';
import { evaluateDataSet, type DataSetReport, type EvaluationInput } from '../evaluate/evaluate-data-set.ts';
import type { EpochContext, Learner, LearnerState } from './learner.ts';
import { gatherRows } from '../tensor/gather-rows.ts';
import { ELBO_OBJECTIVE, fitPosteriors } from '../per-point/e-step.ts';
import { ridgeCodes } from '../per-point/initial-means.ts';
import { PointStore } from '../per-point/point-store.ts';
import { JOINT_LIMIT } from '../per-point/defaults.ts';
import {
  parameterTensors,
  pointSizes,
  PosteriorVariables,
  toPosterior,
  type PointLayout,
} from '../per-point/posterior-variables.ts';

export interface EmLearnerOptions extends PointLayout {
  n: number;
  d: number;
  seed: number;
  batch: number;
  /** Adam's learning rate for W (whose columns start at unit length) */
  learningRate: number;
  /** L-BFGS iterations of each minibatch's E-step */
  eStepIterations: number;
  historySize: number;
  /** starting spread of a point's posterior on its first visit */
  initialStd: number;
  /** L-BFGS iterations of the per-epoch refit for the report (default eStepIterations) */
  evaluationIterations?: number;
}

function storedPosterior(store: PointStore, start: number, end: number): Posterior {
  const rows = Array.from({ length: end - start }, (_, i) => start + i);
  return toPosterior(store.layout, parameterTensors(store.layout, store.gather(rows), rows.length));
}

export class EmLearner implements Learner {
  readonly dictionary: tf.Variable<tf.Rank.R2>;
  private readonly store: PointStore;
  private readonly adam: Adam;
  /** minibatch variables by batch size (the last minibatch of an epoch may be smaller) */
  private readonly batchVariables = new Map<number, PosteriorVariables>();

  constructor(private readonly options: EmLearnerOptions) {
    const { d, h, n } = options;
    const rng = new Random(options.seed);
    this.dictionary = tf.variable(randomDictionary(d, h, rng));
    this.store = new PointStore(options, n);
    this.adam = new Adam([this.dictionary], { learningRate: options.learningRate });
  }

  get family(): PosteriorFamily {
    return this.options.family;
  }

  get rank(): number | null {
    return this.options.family === 'lowrank' ? this.options.rank : null;
  }

  readonly encoderWidths = null;

  unitsPerEpoch(n: number): number {
    return Math.ceil(n / this.options.batch);
  }

  private variablesFor(b: number, values: Float32Array[]): PosteriorVariables {
    let q = this.batchVariables.get(b);
    if (!q) {
      q = new PosteriorVariables(this.options, b, values);
      this.batchVariables.set(b, q);
    } else q.write(values);
    return q;
  }

  trainEpoch(context: EpochContext): number {
    const { x, n, d, gamma, delta } = context;
    const objective = { kind: 'entropy', gamma, delta } as const;
    const order = context.rng.permutation(n);
    const steps = this.unitsPerEpoch(n);
    let value = NaN;
    for (let step = 0; step < steps; step++) {
      const rows = order.subarray(step * this.options.batch, Math.min(n, (step + 1) * this.options.batch));
      const xb = gatherRows(x, d, rows);
      const wn = tf.tidy(() => normalizeColumns(this.dictionary));
      const start = this.store.gatherOrInitialise(rows, () => ridgeCodes(xb, wn), this.options.initialStd);
      const q = this.variablesFor(rows.length, start);
      fitPosteriors(xb, wn, q, objective, {
        maxIterations: this.options.eStepIterations,
        historySize: this.options.historySize,
      });
      this.store.scatter(rows, q.read());
      wn.dispose();
      // M-step: one Adam step on W with the fitted posteriors held fixed (Adam differentiates W only).
      value = tf.tidy(() => {
        const before = this.adam.update(
          () =>
            annealedObjective(
              batchEntropies(pointStatistics(xb, normalizeColumns(this.dictionary), q.posterior()), d),
              gamma,
              delta,
            ),
          'maximize',
        );
        return before.dataSync()[0]!;
      });
      xb.dispose();
      if (!Number.isFinite(value)) return value;
      context.onProgress(step + 1, value);
    }
    return value;
  }

  posterior(_x: tf.Tensor2D, start: number, end: number): Posterior {
    return storedPosterior(this.store, start, end);
  }

  /** The whole-data report with every point refitted for the current W (see the header). */
  evaluate(input: EvaluationInput): DataSetReport {
    const { x, n, d } = input;
    const refitted = new PointStore(this.options, n);
    const wn = tf.tidy(() => normalizeColumns(this.dictionary));
    const iterations = this.options.evaluationIterations ?? this.options.eStepIterations;
    const perPoint = pointSizes(this.options).reduce((a, b) => a + b, 0);
    const chunk = Math.ceil(n / Math.ceil((n * perPoint) / JOINT_LIMIT));
    try {
      for (let start = 0; start < n; start += chunk) {
        const rows = Array.from({ length: Math.min(n, start + chunk) - start }, (_, i) => start + i);
        const xb = tf.tensor2d(x.subarray(start * d, (start + rows.length) * d), [rows.length, d]);
        const q = this.variablesFor(
          rows.length,
          this.store.gatherOrInitialise(rows, () => ridgeCodes(xb, wn), this.options.initialStd),
        );
        fitPosteriors(xb, wn, q, ELBO_OBJECTIVE, { maxIterations: iterations, historySize: this.options.historySize });
        refitted.scatter(rows, q.read());
        xb.dispose();
      }
    } finally {
      wn.dispose();
    }
    return evaluateDataSet({ ...input, posterior: (_x, start, end) => storedPosterior(refitted, start, end) });
  }

  describe(): Record<string, unknown> {
    const {
      batch,
      learningRate,
      eStepIterations,
      evaluationIterations = eStepIterations,
      historySize,
      initialStd,
      spreadScale,
    } = this.options;
    return {
      optimizer: {
        name: 'em',
        eStep: { name: 'lbfgs', iterations: eStepIterations, historySize },
        mStep: { name: 'adam', learningRate, batch },
        reportRefit: { iterations: evaluationIterations },
      },
      posteriorInit: { std: initialStd, spreadScale },
    };
  }

  saveState(): LearnerState {
    const arrays: Record<string, Float32Array> = {
      dictionary: Float32Array.from(this.dictionary.dataSync() as Float32Array),
    };
    this.store.arrays.forEach((a, k) => (arrays[`posterior${k}`] = a));
    arrays['fitted'] = Float32Array.from(this.store.fitted);
    const adam = this.adam.getState();
    arrays['adam/m'] = adam.moments[0]!.m;
    arrays['adam/v'] = adam.moments[0]!.v;
    return { state: { adamStep: adam.step }, arrays };
  }

  loadState(saved: LearnerState): void {
    tf.tidy(() => this.dictionary.assign(tf.tensor2d(saved.arrays['dictionary']!, this.dictionary.shape)));
    this.store.arrays.forEach((a, k) => a.set(saved.arrays[`posterior${k}`]!));
    this.store.fitted.set(saved.arrays['fitted']!);
    this.adam.setState({
      step: saved.state['adamStep'] as number,
      moments: [{ m: saved.arrays['adam/m']!, v: saved.arrays['adam/v']! }],
    });
  }

  dispose(): void {
    this.dictionary.dispose();
    this.adam.dispose();
    for (const q of this.batchVariables.values()) q.dispose();
  }
}
