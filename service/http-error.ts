/**
 * Errors that answer a request with a status other than 400 (a UserError is a 400). Their message
 * is what the client reads in `{"error": "..."}`: it names the request's own values, never a stack
 * or a path of the server.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The queue of rows waiting for a worker is full: 503, come back in a second. */
export class QueueFullError extends HttpError {
  constructor(queuedRows: number, limit: number) {
    super(503, `the service is at capacity (${queuedRows} rows queued, limit ${limit}); retry later`, {
      'retry-after': '1',
    });
  }
}

export class RequestTimeoutError extends HttpError {
  constructor(ms: number) {
    super(504, `the request was not encoded within ${ms} ms`);
  }
}

/** The worker thread encoding the request's batch died; its replacement serves the next requests. */
export class WorkerCrashedError extends HttpError {
  constructor() {
    super(500, 'the encoder worker of this request stopped unexpectedly; it is being replaced, retry the request');
  }
}

export class ShuttingDownError extends HttpError {
  constructor() {
    super(503, 'the service is shutting down', { connection: 'close' });
  }
}

/** The client closed its connection before its answer (nginx's 499): its queued rows are dropped; not a server error. */
export class ClientClosedError extends HttpError {
  constructor() {
    super(499, 'the client closed the connection before its answer');
  }
}
