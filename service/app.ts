/**
 * The fastify application: body parsers (raw bytes: each route decodes and validates its own
 * formats), bearer-token check, the per-request log line and latency metric, JSON errors that never
 * carry a stack or a server path, and the routes of /v1, the Open Inference Protocol and /metrics.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { BearerCheck } from './auth.ts';
import { decodedBody } from './content-encoding.ts';
import type { ServiceContext } from './context.ts';
import { readBody } from './body-reader.ts';
import { ClientClosedError, HttpError, ShuttingDownError } from './http-error.ts';
import { registerImageRoutes } from './image/image-routes.ts';
import { registerOipRoutes } from './oip/routes.ts';
import { registerPageRoutes } from './page/routes.ts';
import { NPY_TYPE } from './response-formats.ts';
import { registerV1Routes } from './v1-routes.ts';

export interface AppOptions {
  /** the bearer token every endpoint but health needs; none: open */
  token?: string;
  /** fastify's pino logger options; false: no logs */
  logger?: FastifyServerOptions['logger'];
}

export function buildApp(context: ServiceContext, options: AppOptions = {}): FastifyInstance {
  const { limits } = context;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyLimitBytes,
    // Node's own server, with its timeouts checked every second rather than every 30 s; headers
    // must come within the request's time (else Node swaps the two timeouts).
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout: limits.timeoutMs,
          headersTimeout: Math.min(limits.timeoutMs, HEADERS_TIMEOUT_MS),
          connectionsCheckingInterval: Math.min(1000, limits.timeoutMs),
        },
        handler,
      );
      server.on('checkExpectation', refuseExpectation);
      return server;
    },
    forceCloseConnections: false,
    // One line per request, written by the onResponse hook below, instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    // While closing, requests still arriving on open connections get our own JSON 503 (below).
    return503OnClosing: false,
  });
  app.decorateRequest('rows', 0);
  app.decorateRequest('charge', null);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', NPY_TYPE], (request: FastifyRequest, payload: Readable) =>
    readBody(payload, request.headers, limits.bodyLimitBytes),
  );

  // Hooks take callbacks rather than being async: a promise per hook per request is measurable on small requests.
  app.addHook('onRequest', (request, _reply, done) =>
    done(!context.readiness.ready && !request.routeOptions.config.open ? new ShuttingDownError() : undefined),
  );

  if (options.token !== undefined) {
    const check = new BearerCheck(options.token);
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.open) return;
      if (!check.accepts(request.headers.authorization))
        throw new HttpError(401, 'missing or wrong bearer token (send Authorization: Bearer <token>)', {
          'www-authenticate': 'Bearer',
        });
    });
  }

  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.method === 'GET' || request.method === 'HEAD') return done(null, payload);
    try {
      done(null, decodedBody(request.headers, payload, context.limits.bodyLimitBytes));
    } catch (error) {
      done(error as Error);
    }
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    // A client that stops reading its answer is cut, which releases what the answer holds.
    reply.raw.setTimeout(limits.sendTimeoutMs, () => reply.raw.destroy());
    // Connections kept alive would hold close() open until their keep-alive timeout.
    if (!context.readiness.ready) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = String(reply.statusCode);
    context.metrics.requestSeconds.observe({ method: request.method, route, status }, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        rows: request.rows,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
    done();
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const { status, message, headers } = describe(error, context);
    if (status >= 500 && !(error instanceof HttpError)) request.log.error({ err: error }, 'request failed');
    void reply.code(status).headers(headers).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}` });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
  registerV1Routes(app, context);
  registerImageRoutes(app, context);
  registerPageRoutes(app);
  void app.register(async (oip) => registerOipRoutes(oip, context));
  return app;
}

/** Headers are due within this (or the request's timeout, if shorter). */
const HEADERS_TIMEOUT_MS = 10_000;

/** `Expect:` other than 100-continue: 417 with a JSON error (Node answers it with an empty body). */
function refuseExpectation(request: IncomingMessage, response: ServerResponse): void {
  const error = `Expect: ${String(request.headers.expect).slice(0, 64)} is not supported (only 100-continue)`;
  const body = JSON.stringify({ error });
  response.writeHead(417, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

function describe(
  error: FastifyError | Error,
  context: ServiceContext,
): { status: number; message: string; headers: Record<string, string> } {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message, headers: error.headers };
  if (error instanceof UserError) return { status: 400, message: error.message, headers: {} };
  const code = 'code' in error ? error.code : undefined;
  // The client went away while its body was being read: nothing of the server's to log.
  if (code === 'ECONNRESET') return { status: 499, message: new ClientClosedError().message, headers: {} };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return {
      status: 413,
      message: `the request body is larger than the limit of ${context.limits.bodyLimitBytes} bytes`,
      headers: {},
    };
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, message: `unsupported Content-Type (send application/json or ${NPY_TYPE})`, headers: {} };
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  // fastify's own client errors (bad headers, empty bodies) say nothing of the server.
  if (status >= 400 && status < 500 && typeof code === 'string' && code.startsWith('FST_'))
    return { status, message: error.message, headers: {} };
  return { status: 500, message: 'internal error of the service (it is logged); the service is still up', headers: {} };
}
