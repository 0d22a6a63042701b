/**
 * The gRPC server of `entropy-sc serve --grpc-port`: `inference.GRPCInferenceService` on grpc-js,
 * its message size limits following the HTTP body limit (both ways: a 1024-row answer is well
 * above gRPC's customary 4 MiB), keep-alive pings, a cap on concurrent streams per connection, and
 * a graceful close (no new calls, in-flight ones finish) bounded in time.
 */
import { Server, ServerCredentials, setLogger, type ChannelOptions } from '@grpc/grpc-js';
import { UserError } from '@entropy-sc/core/errors';
import type { ServiceContext } from '../context.ts';
import { inferenceHandlers, type HandlerOptions } from './handlers.ts';
import { inferenceService } from './protocol.ts';

export interface GrpcOptions extends HandlerOptions {
  host: string;
  /** 0: any free port */
  port: number;
}

/** A running gRPC server, as the service's close and abort use it. */
export interface GrpcServer {
  /** e.g. 127.0.0.1:8081 */
  address: string;
  port: number;
  /** no new calls, in-flight ones finish; after `graceMs`, the rest are cut */
  close(graceMs: number): Promise<void>;
  /** cuts every call and connection now */
  abort(): void;
}

/** Calls in flight on one HTTP/2 connection: the batcher's queue bounds the work, this the memory per client. */
const MAX_CONCURRENT_STREAMS = 1024;

export function serverOptions(context: ServiceContext): ChannelOptions {
  return {
    'grpc.max_receive_message_length': context.limits.bodyLimitBytes,
    'grpc.max_send_message_length': context.limits.bodyLimitBytes,
    'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
    // A ping every 2 min on idle connections finds dead peers; 20 s without an answer closes them.
    'grpc.keepalive_time_ms': 120_000,
    'grpc.keepalive_timeout_ms': 20_000,
    // No channelz service is offered, and its bookkeeping costs each call several listeners and counters.
    'grpc.enable_channelz': 0,
  };
}

export async function startGrpc(context: ServiceContext, options: GrpcOptions): Promise<GrpcServer> {
  // grpc-js writes its own diagnostics to stderr (e.g. a failed bind, which is thrown as one line below).
  setLogger({ error: (...args: unknown[]) => options.log?.debug({ grpc: args.join(' ') }, 'grpc-js') });
  const server = new Server(serverOptions(context));
  server.addService(inferenceService(), inferenceHandlers(context, options));
  const shown = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${shown}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  } catch (error) {
    server.forceShutdown();
    throw bindError(error, shown, options.port);
  }
  return {
    address: `${shown}:${port}`,
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    abort: () => server.forceShutdown(),
  };
}

function bindError(error: unknown, address: string, port: number): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/EADDRINUSE|address already in use/i.test(message))
    return new UserError(
      `cannot listen for gRPC on ${address}:${port}: the port is in use (give another with --grpc-port, or 0 for none)`,
    );
  if (/EACCES|permission denied/i.test(message))
    return new UserError(
      `cannot listen for gRPC on ${address}:${port}: permission denied (ports below 1024 need privileges)`,
    );
  if (/EADDRNOTAVAIL|ENOTFOUND|Name resolution failed/i.test(message))
    return new UserError(`cannot listen for gRPC on ${address}: no such address on this machine`);
  return error instanceof Error ? error : new Error(message);
}
