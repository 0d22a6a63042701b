/**
 * One memory budget for everything the process holds on behalf of requests (bodies being received,
 * rows queued, outputs computed, answers not yet sent). Any server in the process (HTTP, gRPC)
 * charges the bytes a request will hold before doing the work, and releases them when its answer
 * is delivered or abandoned; a charge beyond the budget is refused at once (503 + Retry-After),
 * one that could never fit is a 413.
 */
import { ClientClosedError, HttpError } from './http-error.ts';

/** The budget is spent for now: retry later. */
export class BudgetExhaustedError extends HttpError {
  constructor(bytes: number, used: number, limit: number) {
    super(
      503,
      `the service is at its memory budget (${mib(used)} of ${mib(limit)} MiB held, this request needs ${mib(bytes)} MiB more); retry later`,
      { 'retry-after': '1' },
    );
  }
}

/** The request alone needs more than the whole budget. */
export class BeyondBudgetError extends HttpError {
  constructor(bytes: number, limit: number) {
    super(413, `the request needs ${mib(bytes)} MiB, more than the service's memory budget of ${mib(limit)} MiB`);
  }
}

/** Bytes held for one request; release() (once or more) gives them back. */
export class Charge {
  private held = 0;
  private released = false;

  constructor(private readonly budget: MemoryBudget) {}

  get bytes(): number {
    return this.held;
  }

  /**
   * Adds `bytes` to this charge; throws BudgetExhaustedError / BeyondBudgetError when they do not fit.
   * A charge is released before its request is done only when the client went away (a 499).
   */
  add(bytes: number): void {
    if (this.released) throw new ClientClosedError();
    this.budget.take(bytes, this.held);
    this.held += bytes;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held);
    this.held = 0;
  }
}

export class MemoryBudget {
  private used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** A new charge of `bytes` (throws when they do not fit; nothing is held then). */
  charge(bytes = 0): Charge {
    const charge = new Charge(this);
    charge.add(bytes);
    return charge;
  }

  /** @internal for Charge: `already` is what the same request holds (a request beyond the whole budget is a 413) */
  take(bytes: number, already: number): void {
    if (already + bytes > this.limitBytes) throw new BeyondBudgetError(already + bytes, this.limitBytes);
    if (this.used + bytes > this.limitBytes) throw new BudgetExhaustedError(bytes, this.used, this.limitBytes);
    this.used += bytes;
  }

  /** @internal for Charge */
  give(bytes: number): void {
    this.used -= bytes;
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
