/**
 * Random.skipNormals against the calls of normal() it stands for: the same state afterwards, and the
 * same deviates after it, for even and odd counts, with and without a spare deviate pending.
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/random.ts';

describe('skipping normal deviates', () => {
  for (const pending of [false, true])
    for (const count of [0, 1, 2, 7, 100])
      it(`${count} deviates${pending ? ', a spare pending' : ''}: the state and the next deviates of as many normal() calls`, () => {
        const called = new Random(9);
        const skipped = new Random(9);
        if (pending) [called, skipped].forEach((r) => r.normal());
        for (let i = 0; i < count; i++) called.normal();
        skipped.skipNormals(count);
        expect(skipped.state()).toEqual(called.state());
        expect(Array.from({ length: 5 }, () => skipped.normal())).toEqual(
          Array.from({ length: 5 }, () => called.normal()),
        );
      });
});
