/**
 * `entropy-sc serve` as a library: the worker pool, the micro-batcher, the fastify app and the gRPC
 * server on them, listening, and a graceful close (readiness false, no new requests, in-flight ones
 * finish, workers stop).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { buildApp } from './app.ts';
import { checkExposure } from './auth.ts';
import { MicroBatcher } from './batcher.ts';
import type { ServiceContext } from './context.ts';
import { startGrpc, type GrpcServer } from './grpc/server.ts';
import { ServiceMetrics } from './metrics.ts';
import type { ModelInfo } from './model-info.ts';
import { checkLimits, DEFAULT_LIMITS, poolSize, type LimitOptions, type PoolSize } from './options.ts';
import { WorkerPool } from './worker-pool.ts';

export interface ServeOptions {
  modelPath: string;
  host?: string;
  /** 0: any free port */
  port?: number;
  /** serve the Open Inference Protocol over gRPC on this port too (0: any free port); none: no gRPC */
  grpcPort?: number;
  provider?: string;
  token?: string;
  /** allow a non-loopback address without a token */
  insecure?: boolean;
  pool?: Partial<PoolSize>;
  limits?: Partial<LimitOptions>;
  logger?: FastifyServerOptions['logger'];
  /** the encode worker module (tests give a stand-in) */
  workerEntry?: URL;
}

export interface RunningService {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  info: ModelInfo;
  size: PoolSize;
  app: FastifyInstance;
  /** the gRPC server, where grpcPort was given */
  grpc?: GrpcServer;
  /** readiness false, stop accepting, let in-flight requests finish, stop the workers */
  close(): Promise<void>;
  /** the last resort when close() takes too long: drop every connection and stop the workers */
  abort(): Promise<void>;
}

export async function startService(options: ServeOptions): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  checkExposure(host, options.token, options.insecure ?? false);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  checkLimits(limits);
  const size = poolSize(options.pool ?? {});

  let batcher: MicroBatcher | undefined;
  let app: FastifyInstance | undefined;
  const metrics = new ServiceMetrics(() => ({
    rows: batcher?.queuedRows ?? 0,
    requests: batcher?.queuedRequests ?? 0,
  }));
  const pool = await WorkerPool.start({
    modelPath: options.modelPath,
    provider: options.provider,
    workers: size.workers,
    threadsPerWorker: size.threadsPerWorker,
    entry: options.workerEntry,
    onRestart: (reason) => {
      metrics.workerRestarts.inc();
      app?.log.warn({ reason }, 'encode worker replaced');
    },
  });
  batcher = new MicroBatcher(pool, limits, {
    batch: (rows) => metrics.batchRows.observe(rows),
    rejected: (reason) => metrics.rejected.inc({ reason }),
  });
  const context: ServiceContext = { info: pool.info, batcher, metrics, limits, readiness: { ready: true } };
  app = buildApp(context, { token: options.token, logger: options.logger });
  try {
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (error) {
    await pool.close();
    throw listenError(error, host, options.port ?? 8080);
  }
  let grpc: GrpcServer | undefined;
  if (options.grpcPort !== undefined)
    try {
      grpc = await startGrpc(context, {
        host,
        port: options.grpcPort,
        token: options.token,
        instances: size.workers,
        log: app.log,
      });
    } catch (error) {
      await app.close();
      await pool.close();
      throw error;
    }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const running = app;
  return {
    url: `http://${shown}:${port}`,
    info: pool.info,
    size,
    app,
    grpc,
    async close() {
      context.readiness.ready = false;
      // In-flight calls end within the batcher's timeout; the grace beyond it is for sending answers.
      await Promise.all([running.close(), grpc?.close(limits.timeoutMs + 5000)]);
      await context.batcher.drained();
      await pool.close();
    },
    async abort() {
      context.readiness.ready = false;
      running.server.closeAllConnections();
      grpc?.abort();
      await pool.close();
    },
  };
}

function listenError(error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new UserError(`cannot listen on ${host}:${port}: the port is in use (give another with --port)`);
  if (code === 'EACCES')
    return new UserError(`cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new UserError(`cannot listen on ${host}: no such address on this machine`);
  return error instanceof Error ? error : new Error(String(error));
}
