/**
 * `entropy-sc serve` (cli.md): the HTTP service for an exported encoder — /v1/encode, the Open
 * Inference Protocol (KServe v2 / Triton REST), /metrics — and the same protocol over gRPC, on
 * worker threads with micro-batching.
 * Runs until SIGTERM or SIGINT, then delivers the answers in flight and exits 0 (1 if one was lost).
 */
import { Command, Option } from 'commander';
import { PROVIDER_CHOICES } from '@entropy-sc/inference/providers';
import { UserError } from '@entropy-sc/core/errors';
import { milliseconds, nonNegativeNumber, port, positiveInt, positiveNumber } from '../parse.ts';

interface ServeFlags {
  model?: string;
  models?: string;
  host: string;
  port: number;
  grpcPort: number;
  provider: string;
  tokenFile?: string;
  insecure: boolean;
  workers?: number;
  threads?: number;
  maxBatchRows: number;
  maxDelayMs: number;
  maxQueueRows: number;
  maxRows?: number;
  bodyLimitMb: number;
  timeoutMs: number;
  sendTimeoutMs: number;
  memoryBudgetMb?: number;
  shutdownTimeoutMs?: number;
  logLevel: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve an exported encoder over HTTP: POST /v1/encode (JSON or .npy), the Open Inference Protocol (/v2), /healthz, /metrics; and the Open Inference Protocol over gRPC',
    )
    .option('--model <MODEL.onnx>', 'exported encoder (default: the shipped models/default.onnx)')
    .option(
      '--models <REPO>',
      'every model of a Triton-layout repository (REPO/<name>/config.pbtxt, REPO/<name>/<version>/model.onnx: what export --triton writes; the highest version served)',
    )
    .option('--host <address>', 'address to listen on (a non-loopback one needs a token or --insecure)', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one)', port, 8080)
    .option(
      '--grpc-port <port>',
      'port of the Open Inference Protocol over gRPC (inference.GRPCInferenceService); 0: no gRPC',
      port,
      8081,
    )
    .addOption(
      new Option('--provider <name>', 'onnxruntime execution provider').choices(PROVIDER_CHOICES).default('cpu'),
    )
    .option(
      '--token-file <F>',
      'require Authorization: Bearer <the token in F> on every endpoint but health (else ENTROPY_SC_TOKEN, if set)',
    )
    .option('--insecure', 'allow a non-loopback --host without a token', false)
    .option('--workers <n>', 'encode worker threads (default: one per core)', positiveInt)
    .option(
      '--threads <n>',
      'onnxruntime threads per worker (default: cores / workers); workers × threads ≤ cores',
      positiveInt,
    )
    .option('--max-batch-rows <n>', 'rows a batch of concurrent requests grows to', positiveInt, 1024)
    .option(
      '--max-delay-ms <ms>',
      'longest a request waits for others to batch with while a worker is free',
      nonNegativeNumber,
      1,
    )
    .option('--max-queue-rows <n>', 'rows that may wait for a worker; beyond, 503 with Retry-After', positiveInt, 16384)
    .option('--max-rows <n>', 'rows per request, 413 beyond (default: 16384 or --max-queue-rows if lower)', positiveInt)
    .option('--body-limit-mb <MiB>', 'largest request body (413 beyond)', positiveNumber, 64)
    .option('--timeout-ms <ms>', 'a request not received and answered within this gets a 504', milliseconds, 20_000)
    .option(
      '--send-timeout-ms <ms>',
      'a client that reads none of its answer for this long is cut off, and what the answer held is freed',
      milliseconds,
      10_000,
    )
    .option(
      '--memory-budget-mb <MiB>',
      'bytes all requests together may hold (bodies, rows, outputs, unsent answers); beyond, 503 with Retry-After (default: 1024, at most a quarter of the memory)',
      positiveNumber,
    )
    .option(
      '--shutdown-timeout-ms <ms>',
      "after SIGTERM or SIGINT, longest wait for the answers in flight to reach their clients (default: --timeout-ms + 5 s; the bin's supervisor kills at 30 s)",
      milliseconds,
    )
    .addOption(
      new Option('--log-level <level>', 'JSON log lines on stdout')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(async (flags: ServeFlags) => {
      const { loadToken } = await import('@entropy-sc/service/auth');
      const { startService } = await import('@entropy-sc/service/serve');
      const { closeOnSignal } = await import('@entropy-sc/service/shutdown');
      const { defaultModelPath } = await import('@entropy-sc/inference/default-model');
      const { scanRepository } = await import('@entropy-sc/service/repository/model-sources');
      if (flags.model !== undefined && flags.models !== undefined)
        throw new UserError('give --model or --models, not both');
      const service = await startService({
        modelPath: flags.model ?? defaultModelPath,
        models: flags.models === undefined ? undefined : await scanRepository(flags.models),
        host: flags.host,
        port: flags.port,
        grpcPort: flags.grpcPort === 0 ? undefined : flags.grpcPort,
        provider: flags.provider,
        token: await loadToken(flags.tokenFile),
        insecure: flags.insecure,
        pool: { workers: flags.workers, threadsPerWorker: flags.threads },
        limits: {
          maxBatchRows: flags.maxBatchRows,
          maxQueueDelayMs: flags.maxDelayMs,
          maxQueueRows: flags.maxQueueRows,
          maxRowsPerRequest: flags.maxRows ?? Math.min(16384, flags.maxQueueRows),
          bodyLimitBytes: Math.round(flags.bodyLimitMb * 1024 * 1024),
          timeoutMs: flags.timeoutMs,
          sendTimeoutMs: flags.sendTimeoutMs,
          ...(flags.memoryBudgetMb !== undefined && {
            memoryBudgetBytes: Math.round(flags.memoryBudgetMb * 1024 * 1024),
          }),
        },
        logger: { level: flags.logLevel },
      });
      const { size } = service;
      const served = service.models.list.map(
        ({ name, info }) => `'${name}' (D=${info.d}, H=${info.h}; ${info.outputs.join(', ')})`,
      );
      process.stderr.write(
        `entropy-sc: serving model${served.length === 1 ? '' : 's'} ${served.join(', ')} on ${service.url} ` +
          `with ${size.workers} worker${size.workers === 1 ? '' : 's'} × ${size.threadsPerWorker} thread${size.threadsPerWorker === 1 ? '' : 's'}${served.length === 1 ? '' : ' per model'}\n`,
      );
      if (service.grpc)
        process.stderr.write(
          `entropy-sc: the Open Inference Protocol over gRPC (inference.GRPCInferenceService) on ${service.grpc.address}\n`,
        );
      const graceMs = flags.shutdownTimeoutMs ?? flags.timeoutMs + 5000;
      const { clean, lost } = await closeOnSignal(service, graceMs);
      if (!clean)
        throw new UserError(
          `${lost} answer${lost === 1 ? '' : 's'} in flight did not reach ${lost === 1 ? 'its client' : 'their clients'} (the client went away, or ${graceMs} ms after the signal passed)`,
        );
    });
}
