/**
 * A reusable barrier for the threads of a data-parallel learner, on the shared control block
 * (Atomics.wait works on Node's main thread too, so the Learner interface stays synchronous).
 * A wait also ends when another thread has failed (its message is thrown here) or the learner was
 * closed, so no thread waits forever on one that is gone.
 */
import { Control, type SharedState } from './shared-state.ts';

export class LearnerClosed extends Error {
  constructor() {
    super('the parallel learner was disposed');
  }
}

export class Barrier {
  /** @param timeoutMs how long one wait may take before it throws (Infinity: no limit) */
  constructor(
    private readonly shared: SharedState,
    private readonly timeoutMs: number,
  ) {}

  wait(): void {
    const { control, layout } = this.shared;
    this.check();
    if (layout.threads === 1) return;
    const generation = Atomics.load(control, Control.generation);
    if (Atomics.add(control, Control.arrived, 1) === layout.threads - 1) {
      // The reset precedes the release, so a thread that hurries on to the next barrier counts there.
      Atomics.store(control, Control.arrived, 0);
      Atomics.add(control, Control.generation, 1);
      Atomics.notify(control, Control.generation);
      return;
    }
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(control, Control.generation) === generation) {
      this.check();
      const left = deadline - performance.now();
      if (left <= 0) {
        const message = `a worker thread of the parallel learner did not respond within ${this.timeoutMs / 1000} s`;
        this.shared.fail(message);
        throw new Error(message);
      }
      Atomics.wait(control, Control.generation, generation, Math.min(left, 1000));
    }
    this.check();
  }

  /** Throws if another thread failed or the learner was closed. */
  check(): void {
    const failure = this.shared.failure();
    if (failure !== null) throw new Error(`parallel learner: ${failure}`);
    if (this.shared.closed) throw new LearnerClosed();
  }
}
