/** The memory budget's accounting: charges grow, refuse what does not fit, and come back exactly once. */
import { describe, expect, it } from 'vitest';
import { ClientClosedError } from '../../service/http-error.ts';
import { BeyondBudgetError, BudgetExhaustedError, MemoryBudget } from '../../service/memory-budget.ts';

describe('MemoryBudget', () => {
  it('holds what charges take, refuses beyond the limit, and gets it back once per charge', () => {
    const budget = new MemoryBudget(100);
    const a = budget.charge(40);
    const b = budget.charge(30);
    expect(budget.usedBytes).toBe(70);
    expect(() => a.add(40)).toThrow(BudgetExhaustedError);
    expect(() => a.add(61)).toThrow(BeyondBudgetError);
    expect(a.bytes).toBe(40);
    a.add(30);
    expect(budget.usedBytes).toBe(100);
    a.release();
    a.release();
    expect(budget.usedBytes).toBe(30);
    b.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('answers a charge released by a client that went away, then grown by its request, with a 499', () => {
    const budget = new MemoryBudget(100);
    const charge = budget.charge(10);
    charge.release();
    const error = (() => {
      try {
        charge.add(10);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ClientClosedError);
    expect((error as ClientClosedError).statusCode).toBe(499);
    expect(budget.usedBytes).toBe(0);
  });
});
