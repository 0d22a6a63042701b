/** The one bridge from a batch's point statistics (tfjs) to the float64 whole-data accumulator (core). */
import type { ElboAccumulator, PointStatisticArrays } from '@entropy-sc/core/elbo/elbo-accumulator';
import type { PointStatistics } from './point-statistics.ts';

/** Reads a batch's statistics from the backend (synchronously: CPU backends). */
export function readStatistics(s: PointStatistics): PointStatisticArrays {
  return { scaledM: s.scaledM.dataSync(), squaredError: s.squaredError.dataSync(), logDet: s.logDet.dataSync() };
}

/** Reads a batch's statistics from the backend and adds them to `accumulator`. */
export function accumulate(accumulator: ElboAccumulator, s: PointStatistics): void {
  accumulator.add(readStatistics(s));
}
