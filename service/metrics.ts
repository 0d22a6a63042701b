/**
 * The service's Prometheus metrics (`GET /metrics`), in a registry of its own so that several
 * servers in one process (tests) do not share counters.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MemoryBudget } from './memory-budget.ts';

/**
 * prom-client's default gauges named *_total, which Prometheus's lint (promtool check metrics)
 * rejects: `_total` is for counters. Each has a twin without the suffix that stays.
 */
const GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export class ServiceMetrics {
  readonly registry = new Registry();

  readonly requestSeconds = new Histogram({
    name: 'entropy_sc_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  readonly batchRows = new Histogram({
    name: 'entropy_sc_batch_rows',
    help: 'rows per batch sent to an encode worker',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    registers: [this.registry],
  });

  readonly rowsEncoded = new Counter({
    name: 'entropy_sc_rows_encoded_total',
    help: 'rows answered with outputs',
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'entropy_sc_requests_rejected_total',
    help: 'requests refused for capacity (queue_full or memory_budget, 503) or answered late (timeout, 504)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly workerRestarts = new Counter({
    name: 'entropy_sc_worker_restarts_total',
    help: 'encode workers started to replace one that died',
    registers: [this.registry],
  });

  constructor(queue: () => { rows: number; requests: number }) {
    collectDefaultMetrics({ register: this.registry });
    for (const name of GAUGES_NAMED_TOTAL) this.registry.removeSingleMetric(name);
    const depths = {
      rows: 'rows waiting for an encode worker',
      requests: 'requests waiting for an encode worker',
    } as const;
    for (const [key, help] of Object.entries(depths) as [keyof typeof depths, string][])
      new Gauge({
        name: `entropy_sc_queue_${key}`,
        help,
        registers: [this.registry],
        collect() {
          this.set(queue()[key]);
        },
      });
  }

  /** The memory budget's use and limit as gauges. */
  watchBudget(budget: MemoryBudget): void {
    new Gauge({
      name: 'entropy_sc_memory_budget_used_bytes',
      help: 'bytes held for requests, charged to the memory budget',
      registers: [this.registry],
      collect() {
        this.set(budget.usedBytes);
      },
    });
    new Gauge({
      name: 'entropy_sc_memory_budget_limit_bytes',
      help: 'the memory budget (--memory-budget-mb)',
      registers: [this.registry],
      collect() {
        this.set(budget.limitBytes);
      },
    });
  }
}
