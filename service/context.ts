/**
 * What the routes share: the served models (each with its batcher), the metrics, the limits, the
 * memory budget, the body decoder and the drain.
 */
import type { BodyDecoder } from './body-decoder.ts';
import type { BufferPool } from './buffer-pool.ts';
import type { PrepPool } from './image/prep-pool.ts';
import type { Charge, MemoryBudget } from './memory-budget.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { ModelMetrics } from './model-metrics.ts';
import type { LimitOptions } from './options.ts';
import type { ModelSet } from './repository/model-set.ts';

export interface ServiceContext {
  models: ModelSet;
  /** decodes and whitens images off the event loop */
  prep: PrepPool;
  metrics: ServiceMetrics;
  /** per-model fit and volume (labels: the served models' names only) */
  modelMetrics: ModelMetrics;
  limits: LimitOptions;
  /** how every model is run: workers per model, the execution provider */
  serving: { instances: number; provider: string };
  /** every byte held for a request is charged here */
  budget: MemoryBudget;
  /** large bodies are decoded off the event loop */
  decoder: BodyDecoder;
  /** bodies, batches' rows and binary answers reuse these buffers */
  buffers: BufferPool;
  /** false from the start of a shutdown on: health says so, encode requests get 503 (the Drain) */
  readiness: { readonly ready: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** rows the request carried, for the log line */
    rows: number;
    /** the request's bytes in the memory budget, released when its response is over */
    charge: Charge | null;
  }
  interface FastifyContextConfig {
    /** reachable without the bearer token (health endpoints) */
    open?: boolean;
  }
}
