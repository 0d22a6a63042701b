/**
 * The service's settings with their defaults, and the pool sizing rule: workers × threads per
 * worker never exceeds the cores, so onnxruntime's threads do not fight each other (spinning off).
 */
import { availableParallelism, totalmem } from 'node:os';
import { UserError } from '@entropy-sc/core/errors';
import type { BatcherOptions } from './batcher.ts';

export interface LimitOptions extends BatcherOptions {
  /** largest request body in bytes (413 beyond) */
  bodyLimitBytes: number;
  /** most rows in one request (413 beyond) */
  maxRowsPerRequest: number;
  /** bytes all requests together may hold (memory-budget.ts): 503 + Retry-After beyond */
  memoryBudgetBytes: number;
  /** an answer the client stops reading for this long is cut and its memory released */
  sendTimeoutMs: number;
}

/** The longest delay Node's timers take (beyond, they fire after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const DEFAULT_LIMITS: LimitOptions = {
  maxBatchRows: 1024,
  maxQueueDelayMs: 1,
  maxQueueRows: 16384,
  timeoutMs: 20_000,
  bodyLimitBytes: 64 * 1024 * 1024,
  maxRowsPerRequest: 16384,
  // 1 GiB holds a maximal request with every output of the shipped model; a quarter of a small machine.
  memoryBudgetBytes: Math.min(1024 * 1024 * 1024, Math.floor(totalmem() / 4)),
  sendTimeoutMs: 10_000,
};

export interface PoolSize {
  workers: number;
  threadsPerWorker: number;
}

/**
 * Workers default to one per core, threads to the cores left per worker; an explicit choice whose
 * product exceeds the cores is refused.
 */
export function poolSize(requested: Partial<PoolSize>, cores = availableParallelism()): PoolSize {
  const workers = requested.workers ?? Math.max(1, Math.floor(cores / (requested.threadsPerWorker ?? 1)));
  const threadsPerWorker = requested.threadsPerWorker ?? Math.max(1, Math.floor(cores / workers));
  if (workers * threadsPerWorker > cores)
    throw new UserError(
      `--workers ${workers} × --threads ${threadsPerWorker} = ${workers * threadsPerWorker} threads exceeds the ${cores} cores of this machine`,
    );
  return { workers, threadsPerWorker };
}

/** Limits that contradict each other are a UserError naming the flags. */
export function checkLimits(limits: LimitOptions): void {
  for (const [flag, ms] of [
    ['--timeout-ms', limits.timeoutMs],
    ['--send-timeout-ms', limits.sendTimeoutMs],
  ] as const)
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_TIMER_MS)
      throw new UserError(`${flag} ${ms}: expected whole milliseconds from 1 to ${MAX_TIMER_MS} (about 24.8 days)`);
  if (!Number.isSafeInteger(limits.bodyLimitBytes) || limits.bodyLimitBytes < 1)
    throw new UserError(
      `--body-limit-mb: the limit comes to ${limits.bodyLimitBytes} bytes; it must be at least 1 byte`,
    );
  if (!Number.isSafeInteger(limits.memoryBudgetBytes) || limits.memoryBudgetBytes < limits.bodyLimitBytes)
    throw new UserError(
      `--memory-budget-mb: ${limits.memoryBudgetBytes} bytes cannot hold even one body of the limit of ${limits.bodyLimitBytes} bytes`,
    );
  if (limits.maxRowsPerRequest > limits.maxQueueRows)
    throw new UserError(
      `--max-rows ${limits.maxRowsPerRequest} exceeds --max-queue-rows ${limits.maxQueueRows}: such a request could never be queued`,
    );
}
