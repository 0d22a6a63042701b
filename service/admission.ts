/**
 * Refuses encode requests before their body is read when the queue is already full, so that
 * refusing stays cheap however hard the service is pushed.
 */
import type { ServiceContext } from './context.ts';
import { QueueFullError } from './http-error.ts';

export function admissionCheck(context: ServiceContext): () => Promise<void> {
  return async () => {
    if (context.batcher.wouldOverflow(1)) {
      context.metrics.rejected.inc({ reason: 'queue_full' });
      throw new QueueFullError(context.batcher.queuedRows, context.batcher.options.maxQueueRows);
    }
  };
}
