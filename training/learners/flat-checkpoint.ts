/**
 * Checkpoint arrays of an amortized learner whose parameters and Adam moments are flat vectors
 * (optim/flat-adam.ts): the same keys as AmortizedLearner's (`var<i>`, `adam<i>/m`, `adam<i>/v`,
 * state `adamStep`), so that every amortized learner reads the others' checkpoints.
 */
import type { FlatAdamState } from '../optim/flat-adam.ts';
import type { LearnerState } from './learner.ts';

export function saveFlatState({ params, m, v, offsets }: FlatAdamState, adamStep: number): LearnerState {
  const arrays: Record<string, Float32Array> = {};
  for (let i = 0; i + 1 < offsets.length; i++) {
    const [start, end] = [offsets[i]!, offsets[i + 1]!];
    arrays[`var${i}`] = params.slice(start, end);
    arrays[`adam${i}/m`] = m.slice(start, end);
    arrays[`adam${i}/v`] = v.slice(start, end);
  }
  return { state: { adamStep }, arrays };
}

/** Loads `saved` into the flat vectors. @returns Adam's step count */
export function loadFlatState({ params, m, v, offsets }: FlatAdamState, saved: LearnerState): number {
  for (let i = 0; i + 1 < offsets.length; i++) {
    const size = offsets[i + 1]! - offsets[i]!;
    for (const [key, target] of [
      [`var${i}`, params],
      [`adam${i}/m`, m],
      [`adam${i}/v`, v],
    ] as const) {
      const array = saved.arrays[key];
      if (array?.length !== size)
        throw new Error(`loadState: ${key} has ${array?.length ?? 'no'} elements, the learner needs ${size}`);
      target.set(array, offsets[i]!);
    }
  }
  return saved.state['adamStep'] as number;
}
