/** Parsers for numeric flags: one clear line naming the flag and the value when it is wrong. */
import { InvalidArgumentError } from 'commander';
import { MAX_SEED } from '@entropy-sc/core/schema/run-config';

/** A commander parser accepting the numbers `accept` holds for, described as `what` in its error. */
function numberFlag(what: string, accept: (n: number) => boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !accept(n)) throw new InvalidArgumentError(`expected ${what}, got '${value}'.`);
    return n;
  };
}

export const positiveInt = numberFlag('a positive integer', (n) => Number.isInteger(n) && n > 0);
export const nonNegativeInt = numberFlag('a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
export const positiveNumber = numberFlag('a positive number', (n) => Number.isFinite(n) && n > 0);
export const nonNegativeNumber = numberFlag('a non-negative number', (n) => Number.isFinite(n) && n >= 0);
export const finiteNumber = numberFlag('a finite number', Number.isFinite);
/** A seed the generators use whole: an integer in [0, 2³² − 1]. */
export const seed = numberFlag(
  `an integer seed in [0, ${MAX_SEED}]`,
  (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SEED,
);
/** A TCP port: decimal digits (no 0x50, 1e3), 0 to 65535 (0: any free one). */
export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535 in decimal, got '${value}'.`);
  return n;
}

/** The longest delay Node's timers take; beyond, they fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A timeout in whole milliseconds that Node's timers can wait: 1 to 2³¹ − 1. */
export const milliseconds = numberFlag(
  `whole milliseconds from 1 to ${MAX_TIMER_MS}`,
  (n) => Number.isInteger(n) && n >= 1 && n <= MAX_TIMER_MS,
);
