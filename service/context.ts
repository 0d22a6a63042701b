/** What the routes share: the model, the batcher, the metrics, the limits, the memory budget, the drain. */
import type { MicroBatcher } from './batcher.ts';
import type { BodyDecoder } from './body-decoder.ts';
import type { Charge, MemoryBudget } from './memory-budget.ts';
import type { ServiceMetrics } from './metrics.ts';
import type { ModelInfo } from './model-info.ts';
import type { LimitOptions } from './options.ts';

export interface ServiceContext {
  info: ModelInfo;
  batcher: MicroBatcher;
  metrics: ServiceMetrics;
  limits: LimitOptions;
  /** every byte held for a request is charged here */
  budget: MemoryBudget;
  /** large bodies are decoded off the event loop */
  decoder: BodyDecoder;
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
