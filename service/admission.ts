/**
 * Admits an encode request before its body is read: refused (503 + Retry-After) when the queue is
 * full or the memory budget cannot hold its body; otherwise its body is charged to the budget
 * (Content-Length, or the body limit when the length is not announced) until its response is over.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from './context.ts';
import { QueueFullError } from './http-error.ts';

export function admissionCheck(
  context: ServiceContext,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (context.batcher.wouldOverflow(1)) {
      context.metrics.rejected.inc({ reason: 'queue_full' });
      throw new QueueFullError(context.batcher.queuedRows, context.batcher.options.maxQueueRows);
    }
    const announced = Number(request.headers['content-length']);
    const body = Number.isSafeInteger(announced)
      ? Math.min(announced, context.limits.bodyLimitBytes)
      : context.limits.bodyLimitBytes;
    try {
      request.charge = context.budget.charge(body);
    } catch (error) {
      context.metrics.rejected.inc({ reason: 'memory_budget' });
      throw error;
    }
    const charge = request.charge;
    reply.raw.once('close', () => charge.release());
  };
}

/** Adds what a decoded request will hold to its charge (503 + Retry-After, or 413, when it does not fit). */
export function chargeWork(context: ServiceContext, request: FastifyRequest, bytes: number): void {
  try {
    request.charge!.add(bytes);
  } catch (error) {
    context.metrics.rejected.inc({ reason: 'memory_budget' });
    throw error;
  }
}
