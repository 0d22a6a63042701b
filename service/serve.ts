/**
 * `entropy-sc serve` as a library: per served model a worker pool and a micro-batcher, the fastify
 * app and the gRPC server on them, one memory budget, listening, and a graceful close (readiness
 * false, no new requests, every answer in flight delivered, workers stop).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { UserError } from '@entropy-sc/core/errors';
import type { ModelCard } from '@entropy-sc/core/schema/model-card';
import { readModelFile } from '@entropy-sc/inference/card';
import { defaultStride } from '@entropy-sc/inference/image-model-build';
import { modelWhitens, patchSize } from '@entropy-sc/inference/image-patches';
import { buildApp } from './app.ts';
import { checkExposure } from './auth.ts';
import { MicroBatcher } from './batcher.ts';
import { BodyDecoder } from './body-decoder.ts';
import { BufferPool } from './buffer-pool.ts';
import type { ServiceContext } from './context.ts';
import { Drain, type DrainResult } from './drain.ts';
import { startGrpc, type GrpcServer } from './grpc/server.ts';
import { MemoryBudget } from './memory-budget.ts';
import { ServiceMetrics } from './metrics.ts';
import { checkModelFile } from './model-file.ts';
import type { ModelInfo } from './model-info.ts';
import { ModelMetrics, observingFit } from './model-metrics.ts';
import { checkLimits, DEFAULT_LIMITS, poolSize, type LimitOptions, type PoolSize } from './options.ts';
import { PrepPool } from './image/prep-pool.ts';
import { withImageModel } from './repository/image-companion.ts';
import { ModelSet, type ServedModel } from './repository/model-set.ts';
import type { ModelSource } from './repository/model-sources.ts';
import { WorkerPool } from './worker-pool.ts';

const IMAGE_WORKER = new URL('./image/image-worker.ts', import.meta.url);
/** images that may wait for an image model's workers (each holds its pixels); beyond, 503 */
const IMAGE_QUEUE = 16;

export interface ServeOptions {
  /** one model file (served under its card's name, version 1); or give `models` */
  modelPath?: string;
  /** several models (e.g. a repository's, from scanRepository) */
  models?: ModelSource[];
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
  /** the first served model's */
  info: ModelInfo;
  models: ModelSet;
  /** each model's pool */
  size: PoolSize;
  app: FastifyInstance;
  /** the gRPC server, where grpcPort was given */
  grpc?: GrpcServer;
  /** the process's memory budget: every server of the process charges its requests to it */
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

  if (options.models === undefined && options.modelPath === undefined)
    throw new UserError('no model to serve (give a model file or a repository)');
  if (options.modelPath !== undefined) await checkModelFile(options.modelPath);
  // A model file comes with its image model, where it has one (not a test's stand-in worker's).
  const single =
    options.models === undefined && options.workerEntry === undefined
      ? await withImageModel(options.modelPath!)
      : { sources: [{ path: options.modelPath!, version: '1' }], cleanup: async () => {} };
  const sources = options.models ?? single.sources;
  for (const source of options.models ?? []) await checkModelFile(source.path);

  let models: ModelSet | undefined;
  let app: FastifyInstance | undefined;
  let grpc: GrpcServer | undefined;
  const metrics = new ServiceMetrics(() => models?.queued() ?? { rows: 0, requests: 0 });
  const pools: WorkerPool[] = [];
  // Started only where a served model takes images.
  const prep = new PrepPool(Math.max(1, Math.ceil(size.workers / 4)));
  const decoder = new BodyDecoder({ maxRows: limits.maxRowsPerRequest });
  const buffers = new BufferPool();
  const closePools = () =>
    Promise.all([...pools.map((pool) => pool.close()), prep.close(), decoder.close(), single.cleanup()]);
  try {
    // One after the other: each pool's workers load their model with all the cores.
    for (const source of sources)
      pools.push(
        await WorkerPool.start({
          modelPath: source.path,
          provider: options.provider,
          workers: size.workers,
          threadsPerWorker: size.threadsPerWorker,
          maxRowsPerRun: limits.maxBatchRows,
          buffers,
          entry: options.workerEntry ?? ((await readModelFile(source.path)).card.image ? IMAGE_WORKER : undefined),
          onRestart: (reason) => {
            metrics.workerRestarts.inc();
            app?.log.warn({ reason, model: source.name ?? source.path }, 'encode worker replaced');
          },
        }),
      );
  } catch (error) {
    await closePools();
    throw error;
  }
  const names = sources.map((source, i) => source.name ?? pools[i]!.info.card.name);
  const modelMetrics = new ModelMetrics(metrics.registry, names);
  try {
    const served: ServedModel[] = sources.map((source, i) => {
      const { card } = pools[i]!.info;
      const kind = card.image ? 'image' : 'patch';
      // An image model runs one request's images at a time (sizes differ); its queue counts images.
      const batching = kind === 'image' ? { ...limits, maxBatchRows: 1, maxQueueRows: IMAGE_QUEUE } : limits;
      return {
        name: names[i]!,
        kind,
        version: source.version,
        info: pools[i]!.info,
        image: card.image ? { ...card.image, whiten: true } : imageGeometry(card),
        batcher: new MicroBatcher(observingFit(pools[i]!, names[i]!, modelMetrics), batching, {
          batch: (rows) => metrics.batchRows.observe(rows),
          rejected: (reason) => metrics.rejected.inc({ reason }),
        }),
      };
    });
    models = new ModelSet(served);
    // In the background: a failure to start shows on the first image request.
    if (served.some((m) => m.image)) prep.start().catch(() => undefined);
  } catch (error) {
    await closePools();
    throw error;
  }
  const budget = new MemoryBudget(limits.memoryBudgetBytes);
  const drain = new Drain();
  metrics.watchBudget(budget);
  const context: ServiceContext = {
    models,
    prep,
    metrics,
    modelMetrics,
    limits,
    serving: { instances: size.workers, provider: options.provider ?? 'cpu' },
    budget,
    decoder,
    buffers,
    readiness: drain,
  };
  // Whatever fails from here on stops the workers, or the process would never exit.
  try {
    app = buildApp(context, { token: options.token, logger: options.logger });
    drain.watch(app.server);
    await decoder.warm();
    try {
      await app.listen({ host, port: options.port ?? 8080 });
    } catch (error) {
      throw listenError(error, host, options.port ?? 8080);
    }
    if (options.grpcPort !== undefined)
      grpc = await startGrpc(context, { host, port: options.grpcPort, token: options.token, log: app.log });
  } catch (error) {
    await app?.close();
    await closePools();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const running = app;
  return {
    url: `http://${shown}:${port}`,
    info: pools[0]!.info,
    models,
    size,
    app,
    grpc,
    budget,
    drain,
    async close(graceMs = limits.timeoutMs + limits.sendTimeoutMs) {
      const [result] = await Promise.all([drain.drain(graceMs), grpc?.close(graceMs)]);
      await context.models.drained();
      await closePools();
      await running.close();
      return result;
    },
    async abort() {
      running.server.closeAllConnections();
      grpc?.abort();
      await closePools();
    },
  };
}

/**
 * A model of P×P windows (the card's patch, else √D) takes images as `encode --data images:` does:
 * windows at stride P/2, whitened unless its card says not.
 */
function imageGeometry(card: ModelCard): ServedModel['image'] {
  const side = Math.round(Math.sqrt(card.d));
  if (card.preprocessing === undefined || side * side !== card.d) return undefined;
  const patch = patchSize(card);
  return { patch, stride: defaultStride(patch), whiten: modelWhitens(card) };
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
