/** What the routes share: the served models (each with its batcher), the metrics, the limits and the readiness flag. */
import type { ServiceMetrics } from './metrics.ts';
import type { ModelMetrics } from './model-metrics.ts';
import type { LimitOptions } from './options.ts';
import type { PrepPool } from './image/prep-pool.ts';
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
  /** false from the start of a shutdown on: health says so, encode requests get 503 */
  readiness: { ready: boolean };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** rows the request carried, for the log line */
    rows: number;
  }
  interface FastifyContextConfig {
    /** reachable without the bearer token (health endpoints) */
    open?: boolean;
  }
}
