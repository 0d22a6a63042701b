/**
 * `entropy-sc serve` as a library: the worker pool, the micro-batcher, the fastify app and the gRPC
 * server on them, listening, and a graceful close (readiness false, no new requests, every answer in
 * flight delivered, workers stop).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import { buildApp } from './app.ts';
import { checkExposure } from './auth.ts';
import { MicroBatcher } from './batcher.ts';
import { BodyDecoder } from './body-decoder.ts';
import type { ServiceContext } from './context.ts';
import { startGrpc, type GrpcServer } from './grpc/server.ts';
import { Drain, type DrainResult } from './drain.ts';
import { MemoryBudget } from './memory-budget.ts';
import { ServiceMetrics } from './metrics.ts';
import { checkModelFile } from './model-file.ts';
import type { ModelInfo } from './model-info.ts';
import { checkLimits, DEFAULT_LIMITS, poolSize, type LimitOptions, type PoolSize } from './options.ts';
import { WorkerPool } from './worker-pool.ts';

export interface ServeOptions {
  modelPath: string;
  host?: string;
  /** 0: any free port */
  port?: number;
  provider?: string;
  /** serve the Open Inference Protocol over gRPC on this port too (0: any free port); none: no gRPC */
  grpcPort?: number;
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
  /** the process's memory budget: other servers (gRPC) charge their requests to it too */
  budget: MemoryBudget;
  /** the process's drain: other servers register their connections or in-flight work with it */
  drain: Drain;
  /**
   * Readiness false, stop accepting, let every answer in flight reach its client (at most `graceMs`,
   * default: the request and send timeouts), stop the workers.
   */
  close(graceMs?: number): Promise<DrainResult>;
  /** the last resort when close() takes too long: drop every connection and stop the workers */
  abort(): Promise<void>;
}

export async function startService(options: ServeOptions): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  checkExposure(host, options.token, options.insecure ?? false);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  checkLimits(limits);
  const size = poolSize(options.pool ?? {});
  await checkModelFile(options.modelPath);

  let batcher: MicroBatcher | undefined;
  let app: FastifyInstance | undefined;
  let grpc: GrpcServer | undefined;
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
  const budget = new MemoryBudget(limits.memoryBudgetBytes);
  const drain = new Drain();
  const decoder = new BodyDecoder({ info: pool.info, maxRows: limits.maxRowsPerRequest });
  // Whatever fails from here on stops the workers, or the process would never exit.
  try {
    batcher = new MicroBatcher(pool, limits, {
      batch: (rows) => metrics.batchRows.observe(rows),
      rejected: (reason) => metrics.rejected.inc({ reason }),
    });
    metrics.watchBudget(budget);
    const context: ServiceContext = { info: pool.info, batcher, metrics, limits, budget, decoder, readiness: drain };
    app = buildApp(context, { token: options.token, logger: options.logger });
    drain.watch(app.server);
    await decoder.warm();
    try {
      await app.listen({ host, port: options.port ?? 8080 });
    } catch (error) {
      throw listenError(error, host, options.port ?? 8080);
    }
    if (options.grpcPort !== undefined)
      grpc = await startGrpc(context, {
        host,
        port: options.grpcPort,
        token: options.token,
        instances: size.workers,
        log: app.log,
      });
  } catch (error) {
    await app?.close();
    await Promise.all([pool.close(), decoder.close()]);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const running = app;
  const queue = batcher;
  return {
    url: `http://${shown}:${port}`,
    info: pool.info,
    size,
    app,
    grpc,
    budget,
    drain,
    async close(graceMs = limits.timeoutMs + limits.sendTimeoutMs) {
      const [result] = await Promise.all([drain.drain(graceMs), grpc?.close(graceMs)]);
      await queue.drained();
      await Promise.all([pool.close(), decoder.close()]);
      await running.close();
      return result;
    },
    async abort() {
      running.server.closeAllConnections();
      grpc?.abort();
      await Promise.all([pool.close(), decoder.close()]);
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
