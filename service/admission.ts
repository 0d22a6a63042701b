/**
 * Admits encode work: refused (503 + Retry-After; gRPC: RESOURCE_EXHAUSTED) when its model's queue
 * is full or the memory budget cannot hold it (an unknown model is a 404), otherwise charged to the
 * budget until its answer is over. HTTP requests are admitted before their body is read (charged
 * Content-Length, or the body limit when the length is not announced); gRPC calls, whose message
 * grpc-js has already received, with everything they will hold.
 */
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import type { MicroBatcher } from './batcher.ts';
import type { ServiceContext } from './context.ts';
import { QueueFullError } from './http-error.ts';
import type { Charge } from './memory-budget.ts';
import type { ServedModel } from './repository/model-set.ts';

/** A charge of `bytes`, after checking that the batcher's queue takes one more request. */
export function admit(context: ServiceContext, batcher: MicroBatcher, bytes: number): Charge {
  if (batcher.wouldOverflow(1)) {
    context.metrics.rejected.inc({ reason: 'queue_full' });
    throw new QueueFullError(batcher.queuedRows, batcher.options.maxQueueRows);
  }
  try {
    return context.budget.charge(bytes);
  } catch (error) {
    context.metrics.rejected.inc({ reason: 'memory_budget' });
    throw error;
  }
}

/** A route's preParsing hook admitting its request (a callback hook: no promise per request). */
export function admissionCheck<R>(
  context: ServiceContext,
  modelOf: (request: R) => ServedModel,
): (
  request: FastifyRequest & R,
  reply: FastifyReply,
  payload: RequestPayload,
  done: (error: Error | null, payload?: RequestPayload) => void,
) => void {
  return (request, reply, payload, done) => {
    try {
      const { batcher } = modelOf(request);
      const announced = Number(request.headers['content-length']);
      const body = Number.isSafeInteger(announced)
        ? Math.min(announced, context.limits.bodyLimitBytes)
        : context.limits.bodyLimitBytes;
      const charge = admit(context, batcher, body);
      request.charge = charge;
      reply.raw.once('close', () => charge.release());
    } catch (error) {
      return done(error as Error);
    }
    done(null, payload);
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
