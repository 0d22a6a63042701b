/**
 * The service's errors as gRPC statuses: the same message a person reads over HTTP, the code the
 * HTTP status means (a client's mistake is never INTERNAL; retryable conditions are UNAVAILABLE).
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { UserError } from '@entropy-sc/core/errors';
import { HttpError, QueueFullError, ShuttingDownError, WorkerCrashedError } from '../http-error.ts';
import { BudgetExhaustedError } from '../memory-budget.ts';

export type GrpcStatus = Pick<ServiceError, 'code' | 'details'>;

const BY_HTTP_STATUS: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  404: status.NOT_FOUND,
  // too many rows or bytes for one request
  413: status.RESOURCE_EXHAUSTED,
  504: status.DEADLINE_EXCEEDED,
};

/** The status answering `error`; `internal`: an error of the server itself (INTERNAL, to be logged). */
export function grpcStatus(error: unknown): GrpcStatus & { internal: boolean } {
  if (error instanceof UserError) return { code: status.INVALID_ARGUMENT, details: error.message, internal: false };
  if (error instanceof QueueFullError || error instanceof BudgetExhaustedError)
    return { code: status.RESOURCE_EXHAUSTED, details: error.message, internal: false };
  if (error instanceof ShuttingDownError || error instanceof WorkerCrashedError)
    return { code: status.UNAVAILABLE, details: error.message, internal: false };
  if (error instanceof HttpError && BY_HTTP_STATUS[error.statusCode] !== undefined)
    return { code: BY_HTTP_STATUS[error.statusCode]!, details: error.message, internal: false };
  return {
    code: status.INTERNAL,
    details: 'internal error of the service (it is logged); the service is still up',
    internal: true,
  };
}
