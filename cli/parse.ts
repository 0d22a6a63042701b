/** Parsers for numeric flags: one clear line naming the flag and the value when it is wrong. */
import { InvalidArgumentError } from 'commander';
import { MAX_SEED } from '@entropy-sc/core/schema/run-config';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${value}'.`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'.`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'.`);
  return n;
}

/** A seed the generators use whole: an integer in [0, 2³² − 1]. */
export function seed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_SEED) throw new InvalidArgumentError(`expected an integer seed in [0, ${MAX_SEED}], got '${value}'.`);
  return n;
}
