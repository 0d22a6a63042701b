/**
 * Refuses encode requests before their body is read when their model's queue is already full (or
 * the model is unknown), so that refusing stays cheap however hard the service is pushed.
 */
import type { ServiceContext } from './context.ts';
import { QueueFullError } from './http-error.ts';
import type { ServedModel } from './repository/model-set.ts';

export function admissionCheck<R>(
  context: ServiceContext,
  modelOf: (request: R) => ServedModel,
): (request: R) => Promise<void> {
  return async (request) => {
    const { batcher } = modelOf(request);
    if (batcher.wouldOverflow(1)) {
      context.metrics.rejected.inc({ reason: 'queue_full' });
      throw new QueueFullError(batcher.queuedRows, batcher.options.maxQueueRows);
    }
  };
}
