/** What the routes share: the model, the batcher, the metrics, the limits and the readiness flag. */
import type { MicroBatcher } from './batcher.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { ModelInfo } from './model-info.ts';
import type { LimitOptions } from './options.ts';

export interface ServiceContext {
  info: ModelInfo;
  batcher: MicroBatcher;
  metrics: ServiceMetrics;
  limits: LimitOptions;
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
