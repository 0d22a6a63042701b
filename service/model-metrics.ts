/**
 * Model-fit metrics per served model: the distribution of the per-row (per-window) ELBO ℓ_n, the
 * model's own measure of how well it explains what it is sent (drift in the data shows as a shift),
 * and the rows and images encoded. The `model` label takes only the served models' names, so the
 * series stay bounded whatever clients send. ℓ_n is observed for every batch that computed it (a
 * request asked for `elbo`): the histogram's count against the rows counter tells the coverage.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { BatchRunner } from './batcher.ts';

/**
 * ℓ_n of the shipped model (D=256) on the shipped images' 16×16 windows: 5th percentiles -675 to 7,
 * medians 27 to 244, maxima 195 to 248 nats; tails down to -3437 (edges, stars). Finer where most rows lie.
 */
const ELBO_BUCKETS = [-4000, -2000, -1000, -500, -250, -100, -50, 0, 50, 100, 150, 200, 225, 250, 300, 400];

export class ModelMetrics {
  private readonly elbo: Histogram<'model'>;
  private readonly rows: Counter<'model'>;
  private readonly images: Counter<'model'>;

  constructor(registry: Registry, names: readonly string[]) {
    this.elbo = new Histogram({
      name: 'entropy_sc_model_row_elbo',
      help: 'per-row (per-window) ELBO of the rows each model encoded, in nats',
      labelNames: ['model'] as const,
      buckets: ELBO_BUCKETS,
      registers: [registry],
    });
    this.rows = new Counter({
      name: 'entropy_sc_model_rows_encoded_total',
      help: 'rows (windows, for images) each model encoded',
      labelNames: ['model'] as const,
      registers: [registry],
    });
    this.images = new Counter({
      name: 'entropy_sc_model_images_encoded_total',
      help: 'images each model encoded',
      labelNames: ['model'] as const,
      registers: [registry],
    });
    // Every served model shows, at zero, from the start.
    for (const model of names) {
      this.elbo.zero({ model });
      this.rows.inc({ model }, 0);
      this.images.inc({ model }, 0);
    }
  }

  /** A batch's ℓ_n per row (non-finite values are not observed). */
  observeElbo(model: string, elbo: Float32Array): void {
    const child = this.elbo.labels({ model });
    for (const value of elbo) if (Number.isFinite(value)) child.observe(value);
  }

  encoded(model: string, rows: number, images = 0): void {
    this.rows.inc({ model }, rows);
    if (images > 0) this.images.inc({ model }, images);
  }
}

/** `runner` with every batch's ℓ_n observed for `model`. */
export function observingFit(runner: BatchRunner, model: string, metrics: ModelMetrics): BatchRunner {
  return {
    available: () => runner.available(),
    ...(runner.idle && { idle: () => runner.idle!() }),
    onAvailable: (listener) => runner.onAvailable(listener),
    buffers: runner.buffers,
    run: async (x, rows, outputs, shape) => {
      const result = await runner.run(x, rows, outputs, shape);
      if (result.elbo) metrics.observeElbo(model, result.elbo.data);
      return result;
    },
  };
}
