/**
 * Refuses encode requests before their body is read when the queue is already full or the service
 * is shutting down, so that refusing stays cheap however hard the service is pushed.
 */
import type { ServiceContext } from './context.ts';
import { QueueFullError, ShuttingDownError } from './http-error.ts';

export function admissionCheck(context: ServiceContext): () => Promise<void> {
  return async () => {
    if (!context.readiness.ready) throw new ShuttingDownError();
    if (context.batcher.wouldOverflow(1)) {
      context.metrics.rejected.inc({ reason: 'queue_full' });
      throw new QueueFullError(context.batcher.queuedRows, context.batcher.options.maxQueueRows);
    }
  };
}
