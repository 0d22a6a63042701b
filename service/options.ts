/**
 * The service's settings with their defaults, and the pool sizing rule: workers × threads per
 * worker never exceeds the cores, so onnxruntime's threads do not fight each other (spinning off).
 */
import { availableParallelism } from 'node:os';
import { UserError } from '@entropy-sc/core/errors';
import type { BatcherOptions } from './batcher.ts';

export interface LimitOptions extends BatcherOptions {
  /** largest request body in bytes (413 beyond) */
  bodyLimitBytes: number;
  /** most rows in one request (413 beyond) */
  maxRowsPerRequest: number;
}

export const DEFAULT_LIMITS: LimitOptions = {
  maxBatchRows: 1024,
  maxQueueDelayMs: 1,
  maxQueueRows: 16384,
  timeoutMs: 20_000,
  bodyLimitBytes: 64 * 1024 * 1024,
  maxRowsPerRequest: 16384,
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
  if (limits.maxRowsPerRequest > limits.maxQueueRows)
    throw new UserError(
      `--max-rows ${limits.maxRowsPerRequest} exceeds --max-queue-rows ${limits.maxQueueRows}: such a request could never be queued`,
    );
}
